import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { Client } from 'pg';
import { Sale } from '../../src/domain/sale/sale.entity';
import { HttpResult, ROOT, buildDist, freePort, httpRequest, killAll } from './processes';
import { SaleSpec, createOpenSale, itemIdsOf, startTestApp } from './test-app';

/*
 * Support for the fault suite (test/faults/): dependencies each test owns and can kill, pause, stop and
 * restart (a redis-server, a PostgreSQL instance), the checks that Redis and PostgreSQL agree, and the
 * one-line JSON summary every fault test prints and appends to test-output/faults.json.
 *
 * Everything listens on 127.0.0.1 only, lives in a temporary directory, and is torn down by
 * stopFaultDependencies() (call it in afterAll) or, as a last resort, when the test process exits.
 */

const owned = new Set<{ destroy(): Promise<void>; destroySync(): void }>();
process.once('exit', () => {
  for (const o of owned) o.destroySync();
});

/** Tears down every redis-server and PostgreSQL instance this process started and removes their files. */
export async function stopFaultDependencies(): Promise<void> {
  await Promise.all([...owned].map((o) => o.destroy()));
}

/** What a fault file starts from: a fresh build, a scratch database and a redis-server of its own. */
export interface FaultStores {
  readonly redisServer: RedisServer;
  readonly redis: Redis;
  readonly pg: Client;
  readonly databaseUrl: string;
}

export async function openFaultStores(): Promise<FaultStores> {
  buildDist();
  const databaseUrl = await scratchDatabase();
  const redisServer = await RedisServer.start();
  return { redisServer, redis: redisServer.client(), pg: await pgClient(databaseUrl), databaseUrl };
}

/** Kills every process the file started, closes its clients, and removes the servers and databases it made. */
export async function closeFaultStores(clients: { redis?: Redis; pg?: Client }): Promise<void> {
  await killAll();
  clients.redis?.disconnect();
  await clients.pg?.end().catch(() => undefined);
  await stopFaultDependencies();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until `ok` holds or `timeoutMs` passes; returns the last value, whether it held, and when. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<{ value: T; ok: boolean; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T;
    try {
      value = await probe();
    } catch (e) {
      value = e as T;
      if (Date.now() > deadline) return { value, ok: false, at: Date.now() };
      await sleep(everyMs);
      continue;
    }
    if (ok(value)) return { value, ok: true, at: Date.now() };
    if (Date.now() > deadline) return { value, ok: false, at: Date.now() };
    await sleep(everyMs);
  }
}

/** Writes one JSON line to stdout and appends it to test-output/faults.json. */
export function reportFault(fault: string, measurements: Record<string, unknown>): void {
  const line = JSON.stringify({ fault, at: new Date().toISOString(), ...measurements });
  process.stdout.write(`${line}\n`);
  const dir = path.join(ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'faults.json'), `${line}\n`);
}

// --- redis-server ---------------------------------------------------------------------------------------

/** Answers PING with PONG (not LOADING, not refused) within `ms`? */
function redisPings(port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d) => {
      raw += d.toString();
      if (raw.includes('\r\n')) done(raw.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/**
 * A redis-server of our own, as a child process, on a free port with AOF (appendfsync everysec) in a
 * temporary directory: kill -9, SIGSTOP/SIGCONT and restart it on the same port and directory at will.
 */
export class RedisServer {
  child!: ChildProcess;
  private exit!: Promise<void>;
  log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(path.join(os.tmpdir(), 'flashsale-fault-redis-')));
    owned.add(server);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A client for the test's own reads and writes (not the app's). */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 50, 500) });
  }

  /** Starts redis-server (again, on the same port and directory: the AOF brings the data back). */
  async launch(): Promise<void> {
    // prettier-ignore
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes',
      '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--maxmemory-policy', 'noeviction'];
    this.child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log = (this.log + d).slice(-20_000)));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log = (this.log + d).slice(-20_000)));
    this.exit = new Promise((resolve) => this.child.once('exit', () => resolve()));
    const up = await waitFor(
      () => redisPings(this.port),
      (ok) => ok || !this.running,
      15_000,
      50,
    );
    if (!up.value || !this.running) throw new Error(`redis-server on ${this.port} did not come up:\n${this.log}`);
  }

  /** kill -9, and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exit;
  }

  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    if (this.child && this.running) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
    rmSync(this.dir, { recursive: true, force: true });
    owned.delete(this);
  }

  destroySync(): void {
    if (this.child && this.running) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// --- PostgreSQL -----------------------------------------------------------------------------------------

function pgBinDir(): string {
  if (process.env.PG_BIN && existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return path.join(base, versions[0]!, 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('initdb not found: install PostgreSQL or set PG_BIN to the directory holding initdb and pg_ctl');
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a PostgreSQL tool as the postgres user when we are root (PostgreSQL refuses to run as root). */
function asPostgresArgs(cmd: readonly string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['su', ['postgres', '-s', '/bin/sh', '-c', cmd.map(shellQuote).join(' ')]];
  return [cmd[0]!, cmd.slice(1)];
}

function runAsPostgres(cmd: readonly string[], cwd: string): Promise<string> {
  const [file, args] = asPostgresArgs(cmd);
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * A PostgreSQL instance of our own (initdb in a temporary directory, on a free port, loopback only), with
 * the flashsale role, a database and the migrations applied: stop() and start() it to cut PostgreSQL.
 */
export class PgServer {
  private readonly bin = pgBinDir();
  private readonly data: string;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.data = path.join(dir, 'data');
  }

  static async start(database = 'flashsale_fault'): Promise<PgServer & { url: string }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flashsale-fault-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const server = new PgServer(await freePort(), dir);
    owned.add(server);
    await runAsPostgres([path.join(server.bin, 'initdb'), '-D', server.data, '-A', 'trust', '-U', 'postgres', '-N'], dir);
    await server.start();
    const admin = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE flashsale LOGIN PASSWORD 'flashsale'`);
      await admin.query(`CREATE DATABASE ${database} OWNER flashsale`);
    } finally {
      await admin.end();
    }
    const url = `postgresql://flashsale:flashsale@127.0.0.1:${server.port}/${database}`;
    await migrate(url);
    return Object.assign(server, { url });
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await runAsPostgres(
      [path.join(this.bin, 'pg_ctl'), '-D', this.data, '-o', options, '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '30', 'start'],
      this.dir,
    );
  }

  /** Fast shutdown (clients are disconnected), waiting until it is down. */
  async stop(): Promise<void> {
    await runAsPostgres([path.join(this.bin, 'pg_ctl'), '-D', this.data, '-m', 'fast', '-w', '-t', '30', 'stop'], this.dir);
  }

  private running(): boolean {
    return existsSync(path.join(this.data, 'postmaster.pid'));
  }

  async destroy(): Promise<void> {
    if (this.running()) {
      await runAsPostgres([path.join(this.bin, 'pg_ctl'), '-D', this.data, '-m', 'immediate', '-w', 'stop'], this.dir).catch(
        () => undefined,
      );
    }
    rmSync(this.dir, { recursive: true, force: true });
    owned.delete(this);
  }

  destroySync(): void {
    if (this.running()) {
      const [file, args] = asPostgresArgs([path.join(this.bin, 'pg_ctl'), '-D', this.data, '-m', 'immediate', '-w', 'stop']);
      try {
        execFileSync(file, args, { cwd: this.dir, stdio: 'ignore', timeout: 20_000 });
      } catch {
        // best effort at exit
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Applies the migrations to the database at `url` (prisma migrate deploy, offline engine). */
export function migrate(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'deploy'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, timeout: 120_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`prisma migrate deploy failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(),
    ),
  );
}

let scratchCount = 0;

/**
 * A fresh, migrated database of the test's own on the test PostgreSQL server (DATABASE_URL's), dropped by
 * stopFaultDependencies(): other test runs that wipe the shared test database cannot disturb a fault test
 * that runs for a minute. Databases left behind by a run that died are dropped first. If the role may not
 * create databases, falls back to the shared test database, wiped.
 */
export async function scratchDatabase(): Promise<string> {
  const base = process.env.DATABASE_URL!;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  const name = `flashsale_fault_${process.pid}_${++scratchCount}`;
  try {
    const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'flashsale\\_fault\\_%'`);
    for (const { datname } of stale.rows) {
      const pid = Number(/^flashsale_fault_(\d+)_/.exec(datname)?.[1]);
      if (pid && pid !== process.pid && !processAlive(pid))
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    process.stderr.write(`fault suite: cannot create a database of its own (${(e as Error).message}); using the shared test database\n`);
    await admin.end();
    const { wipeState } = await import('./test-env');
    await wipeState();
    return base;
  }
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dropper = {
    destroy: async () => {
      owned.delete(dropper);
      const c = new Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
    destroySync: () => undefined, // left for the next run to drop (see above)
  };
  owned.add(dropper);
  await migrate(url.toString());
  return url.toString();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// --- sales, requests, state --------------------------------------------------------------------------------

/** Creates and loads an open sale through a short-lived in-process app on the given Redis and PostgreSQL. */
export async function prepareSaleOn(
  urls: { DATABASE_URL: string } & Record<string, string>,
  spec: SaleSpec,
): Promise<{ sale: Sale; items: number[] }> {
  const t = await startTestApp({ ...urls, WORKER_ENABLED: 'false', RECONCILE_INTERVAL_MS: '0', LOG_LEVEL: 'error' });
  try {
    const sale = await createOpenSale(t, spec);
    return { sale, items: await itemIdsOf(t, sale) };
  } finally {
    await t.close();
  }
}

export interface Timed extends HttpResult {
  readonly sentAt: number;
  readonly ms: number;
}

/** httpRequest with the time it was sent and how long the answer (or the error) took. */
export async function timedRequest(agent: http.Agent, method: string, url: string, timeoutMs = 15_000): Promise<Timed> {
  const sentAt = Date.now();
  const r = await httpRequest(agent, method, url, timeoutMs);
  return { ...r, sentAt, ms: r.at - sentAt };
}

/** Runs `fn` over `inputs` with at most `width` at once. */
export async function inPool<T, R>(inputs: readonly T[], width: number, fn: (input: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, inputs.length) }, async () => {
      while (next < inputs.length) {
        const i = next++;
        out[i] = await fn(inputs[i]!, i);
      }
    }),
  );
  return out;
}

/** The order queue's job counts, read straight from Redis (BullMQ's keys under the {flashsale} prefix). */
export async function queueState(redis: Redis | Cluster): Promise<{
  wait: number;
  active: number;
  delayed: number;
  prioritized: number;
  failed: number;
  completed: number;
}> {
  const k = (s: string) => `{flashsale}:orders:${s}`;
  const [wait, active, delayed, prioritized, failed, completed] = await Promise.all([
    redis.llen(k('wait')),
    redis.llen(k('active')),
    redis.zcard(k('delayed')),
    redis.zcard(k('prioritized')),
    redis.zcard(k('failed')),
    redis.zcard(k('completed')),
  ]);
  return { wait, active, delayed, prioritized, failed, completed };
}

export interface LedgerOrder {
  readonly orderId: string;
  readonly code: string;
  readonly userId: string;
  readonly items: number[];
}

export interface CheckoutRecord {
  u: string;
  i: string[];
  s: string;
  r?: { o: string; p: string; f: string; l?: string; t: number };
}

/** The sale's checkout records in Redis, by code. */
export async function checkoutRecords(redis: Redis | Cluster, saleId: number): Promise<Map<string, CheckoutRecord>> {
  const raw = await redis.hgetall(`{sale:${saleId}}:checkouts`);
  return new Map(Object.entries(raw).map(([code, json]) => [code, JSON.parse(json) as CheckoutRecord]));
}

/** The purchases Redis acknowledged with items (spent checkouts with an order id). */
export function ledgerOrders(records: Map<string, CheckoutRecord>): Map<string, LedgerOrder> {
  const orders = new Map<string, LedgerOrder>();
  for (const [code, r] of records) {
    if (r.s !== 'spent' || !r.r?.o) continue;
    orders.set(r.r.o, {
      orderId: r.r.o,
      code,
      userId: r.u,
      items: r.r.p
        .split(',')
        .map(Number)
        .sort((a, b) => a - b),
    });
  }
  return orders;
}

export interface PgOrder {
  readonly orderId: string;
  readonly code: string;
  readonly userId: string;
  readonly items: number[];
}

/** The sale's orders in PostgreSQL with their items. */
export async function pgOrders(pg: Client, saleId: number): Promise<Map<string, PgOrder>> {
  const rows = await pg.query<{ id: string; checkout_code: string; user_id: string; items: number[] | null }>(
    `SELECT o.id, o.checkout_code, o.user_id, array_agg(oi.item_id ORDER BY oi.item_id) FILTER (WHERE oi.item_id IS NOT NULL) AS items
       FROM orders o LEFT JOIN order_items oi ON oi.order_id = o.id
      WHERE o.sale_id = $1 GROUP BY o.id`,
    [saleId],
  );
  return new Map(rows.rows.map((r) => [r.id, { orderId: r.id, code: r.checkout_code, userId: r.user_id, items: r.items ?? [] }]));
}

export async function pgOrderCount(pg: Client, saleId: number): Promise<number> {
  return (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE sale_id = $1', [saleId])).rows[0]!.n;
}

/**
 * Everything that must agree between Redis and PostgreSQL once the queue is drained; returns the
 * disagreements (empty when they agree):
 * - every purchase Redis acknowledged with items is exactly one order in PostgreSQL, with its code, user
 *   and items, and PostgreSQL has no order Redis did not acknowledge;
 * - no item is in two orders;
 * - each item is sold in Redis (no stock left) exactly when it is sold in PostgreSQL;
 * - the sale's `sold` counter in Redis equals the number of order lines in PostgreSQL.
 */
export async function redisPgDisagreements(redis: Redis | Cluster, pg: Client, saleId: number): Promise<string[]> {
  const problems: string[] = [];
  const inRedis = ledgerOrders(await checkoutRecords(redis, saleId));
  const inPg = await pgOrders(pg, saleId);
  for (const [id, o] of inRedis) {
    const p = inPg.get(id);
    if (!p) problems.push(`order ${id} (${o.code}) acknowledged in Redis is missing in PostgreSQL`);
    else if (p.code !== o.code || p.userId !== o.userId || p.items.join(',') !== o.items.join(','))
      problems.push(`order ${id}: Redis ${JSON.stringify(o)} but PostgreSQL ${JSON.stringify(p)}`);
  }
  for (const id of inPg.keys()) if (!inRedis.has(id)) problems.push(`order ${id} is in PostgreSQL but Redis never acknowledged it`);

  const twice = await pg.query<{ item_id: number; n: number }>(
    `SELECT oi.item_id, count(*)::int AS n FROM order_items oi JOIN items i ON i.id = oi.item_id
      WHERE i.sale_id = $1 GROUP BY oi.item_id HAVING count(*) > 1`,
    [saleId],
  );
  for (const r of twice.rows) problems.push(`item ${r.item_id} is in ${r.n} orders`);

  const stock = await redis.hgetall(`{sale:${saleId}}:stock`);
  const items = await pg.query<{ id: number; sold: boolean }>('SELECT id, sold FROM items WHERE sale_id = $1', [saleId]);
  const mismatched: string[] = [];
  for (const { id, sold } of items.rows) {
    const left = stock[String(id)];
    const soldInRedis = left !== undefined && Number(left) <= 0;
    if (soldInRedis !== sold) mismatched.push(`${id} (Redis left ${left}, PostgreSQL sold ${sold})`);
  }
  if (mismatched.length > 0) problems.push(`${mismatched.length} item(s) sold in one store only: ${mismatched.slice(0, 10).join(', ')}`);

  const soldCounter = Number((await redis.hget(`{sale:${saleId}}:meta`, 'sold')) ?? 0);
  const lines = (
    await pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.sale_id = $1',
      [saleId],
    )
  ).rows[0]!.n;
  if (soldCounter !== lines) problems.push(`Redis meta sold = ${soldCounter} but PostgreSQL has ${lines} order lines`);
  return problems;
}

/** A connected pg client for a URL; the caller ends it. */
export async function pgClient(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

/** The last lines of a process's output, for failure messages. */
export function tail(output: { stdout: string; stderr: string }, chars = 3000): string {
  return `stdout:\n${output.stdout.slice(-chars)}\nstderr:\n${output.stderr.slice(-chars)}`;
}
