import autocannon from 'autocannon';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  Child,
  RESULTS_DIR,
  call,
  closeHttpClient,
  freePort,
  inParallel,
  log,
  logTail,
  sleep,
  startNode,
  stopChild,
  waitFor,
} from './support';

/*
 * `npm run bench` (scripts/bench.sh sets up and runs this). Measures, on 127.0.0.1 only:
 *   - requests/s and p50/p99 latency of checkout, purchase, a sold-out rejection and GET /sales/active on the
 *     built app, each as a fraction of a bare Fastify route measured with the same autocannon settings;
 *   - how fast the order worker drains a backlog of orders into PostgreSQL (orders/s).
 * Prints a markdown table and writes bench/results/latest.json.
 */

// --- Settings ---------------------------------------------------------------------------------------------

function setting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  return n;
}

const S = {
  duration: setting('BENCH_DURATION', 10),
  connections: setting('BENCH_CONNECTIONS', 50),
  pipelining: setting('BENCH_PIPELINING', 1),
  warmup: setting('BENCH_WARMUP', 2, 0),
  drainOrders: setting('BENCH_DRAIN_ORDERS', 20_000),
  drainItemsPerOrder: setting('BENCH_DRAIN_ITEMS_PER_ORDER', 2),
  // The app creates a sale's items at about 5,000 items/s and the scheduler creates two sales at start:
  // few items with many units each keeps start-up short, and the bench still never runs out of units.
  saleItems: setting('BENCH_SALE_ITEMS', 10_000),
  unitsPerItem: setting('BENCH_UNITS_PER_ITEM', 100),
};
const TARGET_RATIO = 0.4;
/** Items kept aside and bought out before the rejection scenario; the others serve checkouts and purchases. */
const SOLD_OUT_ITEMS = 10;

const DATABASE_URL = process.env.DATABASE_URL ?? '';
const REDIS_URL = process.env.REDIS_URL ?? '';

/** The bench wipes its database and Redis db at start: refuse anything that does not look like its own. */
function assertOwnData(): void {
  const db = new URL(DATABASE_URL).pathname.slice(1);
  const redisDb = Number(new URL(REDIS_URL).pathname.slice(1) || '0');
  if (!/bench/i.test(db))
    throw new Error(`DATABASE_URL names database "${db}": the bench only wipes a database whose name contains "bench"`);
  if (!(redisDb > 0)) throw new Error(`REDIS_URL ${REDIS_URL} names Redis db 0: give the bench its own db index (e.g. /13)`);
}

/**
 * Sales are aligned to multiples of SALE_DURATION_SECONDS since the epoch, so the window holding "now" may
 * end at any moment. Take the longest length the config allows (31 days) whose current window still has
 * more than an hour to run: the sale cannot end mid-bench.
 */
function saleDurationSeconds(now = Date.now()): number {
  for (let days = 31; days > 1; days--) {
    const seconds = days * 86_400;
    if (seconds - (Math.floor(now / 1000) % seconds) > 3600) return seconds;
  }
  throw new Error('unreachable: two consecutive day lengths cannot both end within the hour');
}

const SALE_DURATION_SECONDS = saleDurationSeconds();

function appEnv(port: number): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL,
    REDIS_URL,
    LOG_LEVEL: 'log',
    // The hot path itself, as in a deployment behind a gateway that authenticates and limits.
    AUTH_MODE: 'trusted',
    RATE_LIMIT: 'off',
    // The order worker is measured on its own (the drain phase); here it would share the two cores with
    // the HTTP path and blur what the HTTP numbers mean. The outbox relay and attempts writer still run.
    WORKER_ENABLED: 'false',
    WORKER_ONLY: 'false',
    SALE_SCHEDULER_ENABLED: 'true',
    SALE_DURATION_SECONDS: String(SALE_DURATION_SECONDS),
    SALE_ITEMS: String(S.saleItems),
    SALE_UNITS_PER_ITEM: String(S.unitsPerItem),
    // Large enough that no scenario ever meets the sale cap or a per-user limit.
    SALE_CAP: '100000000',
    SALE_PER_USER_LIMIT: '100000',
  };
}

// --- Data: the bench's own PostgreSQL database and Redis db --------------------------------------------

class Data {
  readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  readonly pg = new Client({ connectionString: DATABASE_URL });

  async open(): Promise<void> {
    await this.pg.connect();
  }

  /**
   * Other sessions on this machine may use other db indexes and databases; refuse to wipe ours if anyone
   * else is connected to it (another bench, or tests pointed at it).
   */
  async assertUnused(): Promise<void> {
    const me = await this.redis.client('ID');
    const db = Number(new URL(REDIS_URL).pathname.slice(1));
    const list = String(await this.redis.client('LIST'));
    const others = list.split('\n').filter((l) => l.includes(` db=${db} `) && !l.startsWith(`id=${me} `));
    if (others.length)
      throw new Error(`Redis db ${db} is in use by ${others.length} other connection(s); pick another with BENCH_REDIS_URL`);
    const { rows } = await this.pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if (rows[0]!.n > 0)
      throw new Error(
        `database ${new URL(DATABASE_URL).pathname.slice(1)} has ${rows[0]!.n} other session(s); pick another with BENCH_DATABASE_URL`,
      );
  }

  async wipe(): Promise<void> {
    await this.redis.flushdb();
    const { rows } = await this.pg.query<{ t: string }>(
      `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    if (rows.length > 0) await this.pg.query(`TRUNCATE ${rows.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
  }

  async itemIds(saleId: number): Promise<number[]> {
    const { rows } = await this.pg.query<{ id: number }>('SELECT id FROM items WHERE sale_id = $1 ORDER BY id', [saleId]);
    return rows.map((r) => r.id);
  }

  async unitsSold(saleId: number): Promise<number> {
    return Number((await this.redis.hget(`{sale:${saleId}}:meta`, 'sold')) ?? 0);
  }

  async soldOut(saleId: number, items: readonly number[]): Promise<number[]> {
    const left = items.length ? await this.redis.hmget(`{sale:${saleId}}:stock`, ...items.map(String)) : [];
    return items.filter((_, i) => left[i] !== null && Number(left[i]) <= 0);
  }

  /** Entries the app's background loops have not yet moved out of Redis (attempts to PG, outbox to queue). */
  async backlog(saleId: number): Promise<number> {
    const [attempts, outbox] = await Promise.all([
      this.redis.xlen(`{sale:${saleId}}:attempts`),
      this.redis.xlen(`{sale:${saleId}}:outbox`),
    ]);
    return attempts + outbox;
  }

  async count(table: 'orders' | 'order_items'): Promise<number> {
    return (await this.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  }

  async versions(): Promise<{ redis: string; postgres: string; redisPid: number }> {
    const info = await this.redis.info('server');
    const pgv = await this.pg.query<{ server_version: string }>('SHOW server_version');
    return {
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
      postgres: pgv.rows[0]!.server_version,
      redisPid: Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0),
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.pg.end();
  }
}

// --- The app and the bare server ------------------------------------------------------------------------

interface App {
  readonly child: Child;
  readonly port: number;
  readonly saleId: number;
  readonly items: number[];
}

async function startApp(data: Data, name: string): Promise<App> {
  const port = await freePort();
  const started = Date.now();
  const child = startNode(name, ['dist/main.js'], appEnv(port));
  await waitFor(
    'GET /health/ready',
    async () => ((await call(port, 'GET', '/health/ready')).status === 200 ? true : undefined),
    90_000,
    child,
  );
  // The scheduler creates the sale (and its items) before serving, but gives up after 10 s and retries.
  const sale = await waitFor(
    'a live sale',
    async () => {
      const r = await call(port, 'GET', '/sales/active');
      return r.status === 200 ? (JSON.parse(r.body) as { id: number; endsAt: string; itemsTotal: number }) : undefined;
    },
    120_000,
    child,
  );
  const items = await data.itemIds(sale.id);
  if (items.length !== S.saleItems) throw new Error(`sale ${sale.id} has ${items.length} items, expected ${S.saleItems}`);
  log(
    `app up on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s: sale ${sale.id}, ${items.length} items, ends ${sale.endsAt}`,
  );
  return { child, port, saleId: sale.id, items };
}

async function startBare(): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = startNode('bare', ['-r', 'ts-node/register/transpile-only', 'bench/bare-server.ts'], { PORT: String(port) });
  await waitFor('the bare server', async () => ((await call(port, 'GET', '/bare')).status === 200 ? true : undefined), 30_000, child);
  return { child, port };
}

/** Lets the app's background loops catch up, so a scenario does not pay for the previous one's leftovers. */
async function settle(data: Data, app: App): Promise<void> {
  await waitFor(
    'the attempts and outbox streams to drain',
    async () => ((await data.backlog(app.saleId)) === 0 ? true : undefined),
    120_000,
    app.child,
  );
}

// --- Load -------------------------------------------------------------------------------------------------

interface Scenario {
  readonly name: string;
  readonly port: number;
  /** The server's process, whose CPU time is reported. */
  readonly pid: number;
  readonly method: 'GET' | 'POST';
  /** The path and query of the next request, called once per request: unique parameters per request. */
  readonly next: () => string;
  /** The status every response should have; anything else is counted and shown. */
  readonly expect: number;
  readonly onResponse?: (status: number, body: string) => void;
  /** How many more requests it can make (fresh codes left), if that is bounded. */
  readonly budget?: () => number;
}

interface Measured {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly latencyMs: { p50: number; p99: number; average: number; max: number };
  readonly responses: number;
  readonly durationSeconds: number;
  readonly statusCodes: Record<string, number>;
  readonly expectedStatus: number;
  readonly unexpected: number;
  readonly errors: number;
  readonly timeouts: number;
  /** CPU used during the measured run, in % of one core: where the two cores went. */
  readonly cpuPercent: { server: number; redis: number; loadGenerator: number; restOfMachine: number };
  /**
   * CPU per answered request, in microseconds: unlike requests/s it barely moves when other work shares
   * the machine, so it is the steadier way to compare runs and scenarios.
   */
  readonly cpuMicrosPerRequest: { server: number; redis: number };
  ratioToBare?: number;
  notes: string[];
}

/** Redis runs on this machine (127.0.0.1): its CPU time is read like the servers'. */
let redisPid = 0;

/** CPU time (user + system) of a process so far, from /proc (Linux; clock ticks of 10 ms). NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU time all cores spent busy so far, from /proc/stat (Linux). NaN elsewhere. */
function machineBusySeconds(): number {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}

/** One autocannon run. Every scenario uses the same connections and pipelining; only the duration varies. */
function fire(s: Scenario, duration: number): Promise<autocannon.Result> {
  const budget = s.budget?.();
  if (budget !== undefined && budget < S.connections * S.pipelining) throw new Error(`${s.name}: only ${budget} requests left to make`);
  return autocannon({
    url: `http://127.0.0.1:${s.port}`,
    connections: S.connections,
    pipelining: S.pipelining,
    duration,
    // A bounded scenario ends early rather than send a request it has no fresh data for.
    ...(budget !== undefined ? { maxOverallRequests: budget } : {}),
    requests: [
      {
        method: s.method,
        setupRequest: (req) => {
          req.path = s.next();
          return req;
        },
        ...(s.onResponse ? { onResponse: (status: number, body: string) => s.onResponse!(status, body) } : {}),
      },
    ],
  });
}

/**
 * A short warm-up (JIT, connections, script cache) that is thrown away, then the measured run. `between`
 * runs after the warm-up, e.g. to prepare enough data for the measured run at the rate just seen.
 */
async function measure(s: Scenario, between?: (warmupRps: number) => Promise<void>): Promise<Measured> {
  log(`${s.name}: ${S.warmup} s warm-up, then ${S.duration} s`);
  if (S.warmup > 0) {
    const w = await fire(s, S.warmup);
    // The best one-second sample: the warm-up's first second is slow (cold JIT, new connections).
    await between?.(Math.max(w.requests.max, w.requests.total / w.duration));
  } else {
    await between?.(NaN);
  }
  const cpuBefore = { server: cpuSeconds(s.pid), redis: cpuSeconds(redisPid), self: process.cpuUsage(), machine: machineBusySeconds() };
  const r = await fire(s, S.duration);
  const self = process.cpuUsage(cpuBefore.self);
  const percent = (seconds: number) => (100 * seconds) / r.duration;
  const cpu = {
    server: percent(cpuSeconds(s.pid) - cpuBefore.server),
    redis: percent(cpuSeconds(redisPid) - cpuBefore.redis),
    loadGenerator: percent((self.user + self.system) / 1e6),
    restOfMachine: 0,
  };
  // Whatever else ran: PostgreSQL, and on a shared machine other people's work (the noise).
  cpu.restOfMachine = percent(machineBusySeconds() - cpuBefore.machine) - cpu.server - cpu.redis - cpu.loadGenerator;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(v.count ?? 0);
  const responses = r.requests.total;
  return {
    name: s.name,
    requestsPerSecond: responses / r.duration,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average, max: r.latency.max },
    responses,
    durationSeconds: r.duration,
    statusCodes,
    expectedStatus: s.expect,
    unexpected: responses - (statusCodes[String(s.expect)] ?? 0),
    errors: r.errors,
    timeouts: r.timeouts,
    cpuPercent: cpu,
    cpuMicrosPerRequest: {
      server: (1e6 * (cpu.server / 100) * r.duration) / responses,
      redis: (1e6 * (cpu.redis / 100) * r.duration) / responses,
    },
    notes: [],
  };
}

/** One request exactly like the scenario's, checked by hand before the load: a wrong scenario fails here. */
async function preflight(s: Scenario, check: (status: number, body: Record<string, unknown>) => boolean): Promise<void> {
  const r = await call(s.port, s.method, s.next());
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    /* checked below */
  }
  if (!check(r.status, body)) throw new Error(`${s.name}: unexpected answer before the load: ${r.status} ${r.body}`);
}

// --- The scenarios ----------------------------------------------------------------------------------------

/**
 * Hands out the sale's items for checkouts and purchases, round robin. Each item has S.unitsPerItem units,
 * so it can be bought that many times; the first SOLD_OUT_ITEMS items are kept for the rejection scenario.
 */
class Items {
  readonly soldOut: number[];
  private readonly pool: number[];
  private next = 0;

  constructor(all: readonly number[]) {
    this.soldOut = all.slice(0, SOLD_OUT_ITEMS);
    this.pool = all.slice(SOLD_OUT_ITEMS);
  }

  take(): number {
    if (this.next >= this.pool.length * S.unitsPerItem)
      throw new Error('the sale has no units left for the bench: raise BENCH_UNITS_PER_ITEM');
    return this.pool[this.next++ % this.pool.length]!;
  }
}

async function httpScenarios(data: Data, app: App, items: Items, bare: { port: number; pid: number }): Promise<Measured[]> {
  const server = { port: app.port, pid: app.child.process.pid ?? 0 };
  const bareRoute: Scenario = { name: 'bare Fastify GET /bare', ...bare, method: 'GET', next: () => '/bare', expect: 200 };
  await preflight(bareRoute, (status) => status === 200);
  const results: Measured[] = [];
  results.push({ ...(await measure(bareRoute)), name: 'bare Fastify GET /bare (first)' });

  // (1) Checkout: a new user and the next item each time, so every attempt is accepted and opens a
  // checkout. The codes it returns (one item each) are what the purchase scenario buys.
  let users = 0;
  const codes: string[] = [];
  const keepCode = (status: number, body: string) => {
    if (status === 200) codes.push((JSON.parse(body) as { code: string }).code);
  };
  const checkoutPath = (prefix: string) => `/checkout?user_id=${prefix}${users++}&id=${items.take()}`;
  const checkout: Scenario = {
    name: 'POST /checkout (accepted)',
    ...server,
    method: 'POST',
    next: () => checkoutPath('c'),
    expect: 200,
    onResponse: keepCode,
  };
  await preflight(checkout, (status, b) => status === 200 && typeof b.code === 'string');
  await settle(data, app);
  const checkoutResult = await measure(checkout);
  results.push(checkoutResult);

  // (2) Purchase: each request spends a fresh code. Purchases are cheaper than checkouts, so after the
  // warm-up more codes are made for 1.3 times the warm-up's rate over the run. Should it still run out, the
  // run ends early (and says so): a spent code is never sent again.
  const makeCodes = async (count: number) => {
    log(`preparing ${count} more checkout codes for the purchase scenario`);
    await inParallel(count, S.connections, async () => {
      const r = await call(app.port, 'POST', checkoutPath('p'));
      keepCode(r.status, r.body);
    });
    // Their attempts are written to PostgreSQL by the app: not during the measured run.
    await settle(data, app);
  };
  let nextCode = 0;
  const purchase: Scenario = {
    name: 'POST /purchase (fresh code)',
    ...server,
    method: 'POST',
    // The budget below keeps this within the codes; 'none' (a 400, counted as unexpected) cannot happen.
    next: () => `/purchase?code=${codes[nextCode++] ?? 'none'}`,
    expect: 200,
    budget: () => codes.length - nextCode,
  };
  const forWarmup = Math.ceil(checkoutResult.requestsPerSecond * 3 * S.warmup);
  if (codes.length < forWarmup) await makeCodes(forWarmup - codes.length);
  await preflight(purchase, (status, b) => status === 200 && typeof b.orderId === 'string');
  await settle(data, app);
  const soldBefore = await data.unitsSold(app.saleId);
  const purchaseResult = await measure(purchase, async (warmupRps) => {
    const rate = Number.isFinite(warmupRps) ? warmupRps : checkoutResult.requestsPerSecond * 3;
    const wanted = Math.ceil(rate * S.duration * 1.3) + 1000;
    if (codes.length - nextCode < wanted) await makeCodes(wanted - (codes.length - nextCode));
  });
  const sold = (await data.unitsSold(app.saleId)) - soldBefore;
  if (nextCode >= codes.length) {
    purchaseResult.notes.push(
      `PROBLEM: used up all ${codes.length} prepared codes: the run ended early, after ${purchaseResult.durationSeconds} s`,
    );
  }
  // Each fresh code buys exactly one unit: fewer units than 200s would mean answers without an order.
  purchaseResult.notes.push(`${sold} units sold by ${nextCode} codes sent (warm-up and run; the last few may still be in flight)`);
  if (sold < (purchaseResult.statusCodes['200'] ?? 0)) purchaseResult.notes.push('PROBLEM: fewer units sold than purchases answered 200');
  results.push(purchaseResult);

  // (3) Rejection: a new user asks for an item that is sold out: 409 item_sold_out. The items kept aside
  // are bought out first, one unit per user.
  log(`buying out ${items.soldOut.length} items (${items.soldOut.length * S.unitsPerItem} checkouts and purchases)`);
  await inParallel(items.soldOut.length * S.unitsPerItem, S.connections, async (i) => {
    const item = items.soldOut[i % items.soldOut.length]!;
    const c = await call(app.port, 'POST', `/checkout?user_id=x${i}&id=${item}`);
    if (c.status !== 200) throw new Error(`buying out: checkout ${c.status} ${c.body}`);
    const p = await call(app.port, 'POST', `/purchase?code=${(JSON.parse(c.body) as { code: string }).code}`);
    if (p.status !== 200) throw new Error(`buying out: purchase ${p.status} ${p.body}`);
  });
  const soldOut = await data.soldOut(app.saleId, items.soldOut);
  if (soldOut.length !== items.soldOut.length) throw new Error(`only ${soldOut.length} of ${items.soldOut.length} items are sold out`);
  let rejected = 0;
  const rejection: Scenario = {
    name: 'POST /checkout (409 item_sold_out)',
    ...server,
    method: 'POST',
    next: () => {
      const i = rejected++;
      return `/checkout?user_id=r${i}&id=${soldOut[i % soldOut.length]}`;
    },
    expect: 409,
  };
  await preflight(rejection, (status, b) => status === 409 && b.code === 'item_sold_out');
  await settle(data, app);
  results.push(await measure(rejection));

  // (4) Reading the running sale: the instance's calendar plus one Redis read.
  const active: Scenario = { name: 'GET /sales/active', ...server, method: 'GET', next: () => '/sales/active', expect: 200 };
  await preflight(active, (status, b) => status === 200 && b.id === app.saleId);
  await settle(data, app);
  results.push(await measure(active));

  // The bare route again at the end: two samples of the yardstick show how much the machine drifted.
  await settle(data, app);
  results.push({ ...(await measure(bareRoute)), name: 'bare Fastify GET /bare (last)' });
  return results;
}

interface Drain {
  readonly orders: number;
  readonly itemsPerOrder: number;
  readonly orderItems: number;
  readonly workerStartSeconds: number;
  readonly drainSeconds: number;
  readonly ordersPerSecond: number;
  /** The worker's CPU while it drained, in % of one core, and per order written. */
  readonly workerCpuPercent: number;
  readonly workerCpuMicrosPerOrder: number;
  readonly complete: boolean;
}

/**
 * The worker's throughput. With no worker running, make N purchases of K items each and let the app relay
 * them into the order queue (and write its checkout attempts away); stop the app, start
 * `node dist/worker.js` and time until every order is a row in PostgreSQL.
 */
async function drainScenario(data: Data, app: App, items: Items): Promise<Drain> {
  const n = S.drainOrders;
  const k = S.drainItemsPerOrder;
  try {
    log(`drain: preparing ${n} orders of ${k} items (${n * k} checkouts, then ${n} purchases)`);
    const codes = new Array<string>(n);
    // Consecutive orders hold distinct items, so batches written side by side do not update the same rows.
    const lines = Array.from({ length: n * k }, () => items.take());
    await inParallel(n * k, S.connections, async (i) => {
      const user = Math.floor(i / k);
      const r = await call(app.port, 'POST', `/checkout?user_id=d${user}&id=${lines[i]}`);
      if (r.status !== 200) throw new Error(`drain checkout: ${r.status} ${r.body}`);
      codes[user] = (JSON.parse(r.body) as { code: string }).code;
    });
    await inParallel(n, S.connections, async (i) => {
      const r = await call(app.port, 'POST', `/purchase?code=${codes[i]}`);
      const o = JSON.parse(r.body) as { orderId?: string | null; purchased?: number[] };
      if (r.status !== 200 || !o.orderId || o.purchased?.length !== k) throw new Error(`drain purchase: ${r.status} ${r.body}`);
    });
    // Wait for the relay (outbox to queue) and the attempts writer: then the worker only writes orders.
    await settle(data, app);
    if ((await data.count('orders')) !== 0) throw new Error('orders were written before the worker started');
  } finally {
    await stopChild(app.child);
  }

  log('drain: starting node dist/worker.js');
  const t0 = Date.now();
  const worker = startNode('worker', ['dist/worker.js'], appEnv(0));
  try {
    const pid = worker.process.pid ?? 0;
    let first: { at: number; count: number; cpu: number } | undefined;
    let last = { at: t0, count: 0, cpu: 0 };
    const deadline = t0 + 180_000;
    while (last.count < n && Date.now() < deadline) {
      if (worker.exited) throw new Error(`the worker exited (${worker.exited}) during the drain:\n${logTail(worker)}`);
      const count = await data.count('orders');
      last = { at: Date.now(), count, cpu: cpuSeconds(pid) };
      if (!first && count > 0) first = last;
      if (count < n) await sleep(25);
    }
    // The rate from the first rows seen to the last: the worker's own speed, without Node's and Nest's
    // start-up (shown on its own).
    const drainMs = first ? last.at - first.at : 0;
    return {
      orders: last.count,
      itemsPerOrder: k,
      orderItems: await data.count('order_items'),
      workerStartSeconds: first ? (first.at - t0) / 1000 : NaN,
      drainSeconds: drainMs / 1000,
      ordersPerSecond: first && drainMs > 0 ? (last.count - first.count) / (drainMs / 1000) : NaN,
      workerCpuPercent: first && drainMs > 0 ? (100 * (last.cpu - first.cpu)) / (drainMs / 1000) : NaN,
      workerCpuMicrosPerOrder: first && last.count > first.count ? (1e6 * (last.cpu - first.cpu)) / (last.count - first.count) : NaN,
      complete: last.count >= n,
    };
  } finally {
    await stopChild(worker);
  }
}

// --- Report -----------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';
const TARGETED = ['POST /checkout (accepted)', 'POST /purchase (fresh code)', 'POST /checkout (409 item_sold_out)'];

function report(machine: Record<string, string | number>, scenarios: Measured[], drain: Drain, problems: string[]): string {
  const lines: string[] = [];
  lines.push(`## Flash-sale bench, ${new Date().toISOString()}`, '');
  lines.push(
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.os}; load average before: ${machine.loadAverage}`,
  );
  lines.push(`- Node ${machine.node}, Redis ${machine.redis}, PostgreSQL ${machine.postgres}`);
  lines.push(
    `- autocannon ${S.connections} connections, pipelining ${S.pipelining}, ${S.duration} s per scenario after a ${S.warmup} s warm-up, ` +
      'all on 127.0.0.1; "vs bare" is against the mean of the two bare runs',
    `- CPU % is of one core (the machine has ${machine.cores}); "rest" is everything else that ran meanwhile: PostgreSQL, and other people's work on a shared machine. ` +
      'CPU µs per request hardly depends on that noise: compare runs by it',
    '',
  );
  lines.push(
    '| Scenario | Req/s | vs bare | p50 ms | p99 ms | Responses | Status codes | Unexpected | Target | CPU %: server / Redis / autocannon / rest | CPU µs/req: server / Redis |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---|---:|---|---|---|');
  for (const s of scenarios) {
    const codes = Object.entries(s.statusCodes)
      .map(([c, n]) => `${c}: ${n}`)
      .join(', ');
    const errors = s.errors ? `, errors: ${s.errors}` : '';
    const target = TARGETED.includes(s.name) ? ((s.ratioToBare ?? 0) >= TARGET_RATIO ? 'ok (>= 40%)' : 'below 40%') : '';
    lines.push(
      `| ${s.name} | ${fmt(s.requestsPerSecond)} | ${fmt((s.ratioToBare ?? NaN) * 100)}% | ${fmt(s.latencyMs.p50)} | ` +
        `${fmt(s.latencyMs.p99)} | ${fmt(s.responses)} | ${codes}${errors} | ${fmt(s.unexpected + s.errors)} | ${target} | ` +
        `${fmt(s.cpuPercent.server)} / ${fmt(s.cpuPercent.redis)} / ${fmt(s.cpuPercent.loadGenerator)} / ${fmt(s.cpuPercent.restOfMachine)} | ` +
        `${fmt(s.cpuMicrosPerRequest.server)} / ${fmt(s.cpuMicrosPerRequest.redis)} |`,
    );
  }
  lines.push(
    '',
    '| Worker drain | Orders | Items/order | Order items | Worker start s | Drain s | Orders/s | Worker CPU % | Worker CPU µs/order |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(
    `| node dist/worker.js, WORKER_CONCURRENCY and ORDER_BATCH_SIZE at their defaults | ${fmt(drain.orders)} | ${drain.itemsPerOrder} | ` +
      `${fmt(drain.orderItems)} | ${fmt(drain.workerStartSeconds, 2)} | ${fmt(drain.drainSeconds, 2)} | ${fmt(drain.ordersPerSecond)} | ` +
      `${fmt(drain.workerCpuPercent)} | ${fmt(drain.workerCpuMicrosPerOrder)} |`,
  );
  const notes = scenarios.flatMap((s) => s.notes.map((n) => `- ${s.name}: ${n}`));
  if (notes.length) lines.push('', ...notes);
  if (problems.length) lines.push('', ...problems.map((p) => `- **PROBLEM: ${p}**`));
  return lines.join('\n');
}

// --- Main -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  assertOwnData();
  const data = new Data();
  await data.open();
  await data.assertUnused();
  const machine = {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    ...(await data.versions()),
  };
  redisPid = machine.redisPid;
  log(`wiping the bench data (database ${new URL(DATABASE_URL).pathname.slice(1)}, ${REDIS_URL})`);
  await data.wipe();

  // The drain first: it needs a queue holding only its own orders. The app started again afterwards finds
  // its sale already created and loaded, so it is up in a second or two.
  let app = await startApp(data, 'app-drain');
  const items = new Items(app.items);
  const drain = await drainScenario(data, app, items);

  const bare = await startBare();
  let scenarios: Measured[];
  try {
    app = await startApp(data, 'app-http');
    scenarios = await httpScenarios(data, app, items, { port: bare.port, pid: bare.child.process.pid ?? 0 });
  } finally {
    await stopChild(app.child);
    await stopChild(bare.child);
  }
  const bareRps = scenarios.filter((s) => s.name.startsWith('bare')).map((s) => s.requestsPerSecond);
  const yardstick = bareRps.reduce((a, b) => a + b, 0) / bareRps.length;
  for (const s of scenarios) s.ratioToBare = s.requestsPerSecond / yardstick;
  await data.wipe();
  await data.close();
  closeHttpClient();

  const problems: string[] = [];
  for (const s of scenarios) {
    const bad = s.unexpected + s.errors;
    if (bad > s.responses * 0.01)
      problems.push(`${s.name}: ${bad} of ${s.responses} answers were not ${s.expectedStatus}: the scenario is wrong`);
    for (const n of s.notes) if (n.startsWith('PROBLEM')) problems.push(`${s.name}: ${n}`);
  }
  if (!drain.complete) problems.push(`worker drain: only ${drain.orders} of ${S.drainOrders} orders reached PostgreSQL in time`);
  if (drain.orderItems !== drain.orders * drain.itemsPerOrder)
    problems.push(`worker drain: ${drain.orderItems} order items for ${drain.orders} orders`);

  process.stdout.write(`\n${report(machine, scenarios, drain, problems)}\n\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest.json');
  const json = {
    date: new Date().toISOString(),
    totalSeconds: (Date.now() - started) / 1000,
    machine,
    settings: { ...S, soldOutItems: SOLD_OUT_ITEMS, targetRatio: TARGET_RATIO, saleDurationSeconds: SALE_DURATION_SECONDS },
    bareRequestsPerSecond: yardstick,
    scenarios,
    drain,
    problems,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  log(`results in ${path.relative(process.cwd(), file)}; the bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (problems.length) process.exitCode = 1;
}

main().catch((e: Error) => {
  log(`failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
