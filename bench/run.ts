import autocannon from 'autocannon';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { StreamCounts } from './event-streams';
import {
  Child,
  RESULTS_DIR,
  ask,
  call,
  closeHttpClient,
  countLines,
  fileSize,
  freePort,
  inParallel,
  log,
  logTail,
  openFileLimit,
  sleep,
  startNode,
  stopChild,
  waitFor,
} from './support';

/*
 * `npm run bench` (scripts/bench.sh sets up and runs this). Measures, on 127.0.0.1 only:
 *   - requests/s and p50/p99 latency of checkout, purchase, a sold-out rejection and GET /sales/active on the
 *     built app, each as a fraction of a bare Fastify route measured with the same autocannon settings;
 *   - how fast the order worker drains a backlog of orders into PostgreSQL (orders/s);
 *   - three comparisons, each side measured in the same run against the same bare route:
 *       logging: the sold-out rejection, GET /sales/active and the accepted checkout with the app started
 *         with LOG_REQUEST_SAMPLE_RATE=1 (every request logged; the default logs a 1% sample), then with 0, then with 1 again;
 *       event streams: POST /purchase without, with BENCH_STREAMS (2,000) open GET /sales/:id/events
 *         streams held by a child process (bench/event-streams.ts), and without again;
 *       rate limiting: the accepted checkout with RATE_LIMIT=off and then on (limits nothing reaches).
 *   Where a setting was measured before and after the other, its side is the mean of the two runs.
 * The app's stdout (its JSON log lines) goes straight into a regular file, bench/results/logs/<app>.log,
 * written by the app itself; the bench never reads it through a pipe (see support.ts: startNode).
 * Prints markdown tables and writes bench/results/latest.json.
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
  // 200: enough for the four checkout runs, three purchase runs and the drain even on a fast machine.
  unitsPerItem: setting('BENCH_UNITS_PER_ITEM', 200),
  /** Open GET /sales/:id/events streams during the second purchase run. */
  streams: setting('BENCH_STREAMS', 2000),
};
/** The issue's rule: one line per request at info is fine only if it costs at most this much throughput. */
const LOGGING_BUDGET = 0.1;
/** Rate limits for the rate-limited checkout: on, but far above anything the bench reaches. */
const GENEROUS_LIMITS = { RATE_LIMIT_BUY_IP: '100000000/1s', RATE_LIMIT_BUY_USER: '1000/1s' };
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

/** The app's environment; `overrides` is what a comparison changes (and is shown in its report). */
function appEnv(port: number, overrides: Record<string, string> = {}): Record<string, string> {
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
    // With no worker, no order reaches PostgreSQL, so the reconciler (every 60 s by default, on whichever
    // instance holds its lease) would find every purchase older than 30 s missing and queue it again: a
    // burst of work of the bench's own making, landing in whatever scenario runs at that moment (it hit
    // app-http's GET /sales/active, +50% CPU per request). Off here; it is not part of any request's cost.
    RECONCILE_INTERVAL_MS: '0',
    SALE_SCHEDULER_ENABLED: 'true',
    SALE_DURATION_SECONDS: String(SALE_DURATION_SECONDS),
    SALE_ITEMS: String(S.saleItems),
    SALE_UNITS_PER_ITEM: String(S.unitsPerItem),
    // Large enough that no scenario ever meets the sale cap or a per-user limit.
    SALE_CAP: '100000000',
    SALE_PER_USER_LIMIT: '100000',
    // Every request logged (the default logs a 1% sample): the worst case. app-nolog measures without, and
    // the logging comparison sets the two against each other.
    LOG_REQUEST_SAMPLE_RATE: '1',
    ...overrides,
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
  /** The settings this instance was started with on top of appEnv's. */
  readonly overrides: Record<string, string>;
}

async function startApp(data: Data, name: string, overrides: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const started = Date.now();
  const child = startNode(name, ['dist/main.js'], appEnv(port, overrides));
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
  const shown = Object.entries(overrides)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  log(
    `${name} up on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s: sale ${sale.id}, ${items.length} items, ends ${sale.endsAt}` +
      (shown ? `; ${shown}` : ''),
  );
  return { child, port, saleId: sale.id, items, overrides };
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
  /** The server's stdout file: its lines written during the run are counted (log lines per response). */
  readonly logFile?: string;
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
  readonly cpuMicrosPerRequest: { server: number; redis: number; loadGenerator: number };
  /** Lines the server wrote to stdout during the run, and per response (about 1 when every request is logged). */
  readonly logLines: number;
  readonly logLinesPerResponse: number;
  /**
   * The server's write system calls per response: about one for the response itself, plus whatever its
   * logging adds (pino's asynchronous destination batches lines into fewer writes).
   */
  readonly serverWriteSyscallsPerResponse: number;
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

/** write(2)-family system calls a process made so far (syscw in /proc/<pid>/io; Linux, same user). NaN elsewhere. */
function writeSyscalls(pid: number): number {
  try {
    return Number(/^syscw: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
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

interface MeasureHooks {
  /** After the warm-up, e.g. to prepare enough data for the measured run at the rate just seen. */
  readonly between?: (warmupRps: number) => Promise<void>;
  /** Just before and just after the measured run (outside its CPU accounting). */
  readonly beforeRun?: () => Promise<void>;
  readonly afterRun?: () => Promise<void>;
}

/** A short warm-up (JIT, connections, script cache) that is thrown away, then the measured run. */
async function measure(s: Scenario, hooks: MeasureHooks = {}): Promise<Measured> {
  log(`${s.name}: ${S.warmup} s warm-up, then ${S.duration} s`);
  if (S.warmup > 0) {
    const w = await fire(s, S.warmup);
    // The best one-second sample: the warm-up's first second is slow (cold JIT, new connections).
    await hooks.between?.(Math.max(w.requests.max, w.requests.total / w.duration));
  } else {
    await hooks.between?.(NaN);
  }
  await hooks.beforeRun?.();
  const logBefore = s.logFile ? fileSize(s.logFile) : NaN;
  const writesBefore = writeSyscalls(s.pid);
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
  const writes = writeSyscalls(s.pid) - writesBefore;
  await hooks.afterRun?.();
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(v.count ?? 0);
  const responses = r.requests.total;
  // The app's log is asynchronous (buffered): a few lines of the run's last moment may still be on their way.
  const logLines = s.logFile ? countLines(s.logFile, logBefore, fileSize(s.logFile)) : NaN;
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
      loadGenerator: (1e6 * (cpu.loadGenerator / 100) * r.duration) / responses,
    },
    logLines,
    logLinesPerResponse: logLines / responses,
    serverWriteSyscallsPerResponse: writes / responses,
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

/**
 * One side of a comparison, as reported: one measured run, or the mean of two runs of the same setting
 * taken before and after the other side's (which cancels a machine that slowly gets busier or quieter,
 * and whose spread shows how noisy the machine was).
 */
interface Side {
  /** The scenario rows (names in the main table) this side is made of. */
  readonly scenarios: string[];
  readonly setting: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuMicrosPerRequest: number;
  readonly redisCpuMicrosPerRequest: number;
  /**
   * Server + Redis + load generator (autocannon, in the bench process) CPU µs per request: on a machine
   * whose cores they share, what one request costs the machine, so what bounds the bench's requests/s.
   */
  readonly machineCpuMicrosPerRequest: number;
  readonly logLinesPerResponse: number;
  readonly serverWriteSyscallsPerResponse: number;
  /** Each run's requests/s, server CPU µs and machine CPU µs per request. */
  readonly runs: { requestsPerSecond: number; serverCpuMicrosPerRequest: number; machineCpuMicrosPerRequest: number }[];
}

const machineMicros = (m: Measured) => m.cpuMicrosPerRequest.server + m.cpuMicrosPerRequest.redis + m.cpuMicrosPerRequest.loadGenerator;

/** The same scenario without and with one feature (logging, open streams, rate limiting). */
interface Comparison {
  readonly what: string;
  readonly without: Side;
  readonly with: Side;
  /** Requests/s with the feature as a fraction of without. */
  readonly throughputRatio: number;
  /** Throughput lost to the feature: 1 - throughputRatio. */
  readonly throughputCost: number;
  /**
   * The same from the server's CPU per request (steadier on a shared machine): the throughput lost if the
   * server's CPU were the limit, 1 - (µs/req without) / (µs/req with).
   */
  readonly cpuCost: number;
  /**
   * The same from the machine's CPU per request (server + Redis + autocannon): the requests/s this bench
   * loses on a machine they saturate together, without the noise of other people's work.
   */
  readonly machineCpuCost: number;
  readonly extraServerCpuMicrosPerRequest: number;
  readonly extraRedisCpuMicrosPerRequest: number;
}

function side(runs: Measured[], setting: string): Side {
  const mean = (f: (m: Measured) => number) => runs.reduce((sum, m) => sum + f(m), 0) / runs.length;
  return {
    scenarios: runs.map((m) => m.name),
    setting,
    requestsPerSecond: mean((m) => m.requestsPerSecond),
    p50Ms: mean((m) => m.latencyMs.p50),
    p99Ms: mean((m) => m.latencyMs.p99),
    serverCpuMicrosPerRequest: mean((m) => m.cpuMicrosPerRequest.server),
    redisCpuMicrosPerRequest: mean((m) => m.cpuMicrosPerRequest.redis),
    machineCpuMicrosPerRequest: mean(machineMicros),
    logLinesPerResponse: mean((m) => m.logLinesPerResponse),
    serverWriteSyscallsPerResponse: mean((m) => m.serverWriteSyscallsPerResponse),
    runs: runs.map((m) => ({
      requestsPerSecond: m.requestsPerSecond,
      serverCpuMicrosPerRequest: m.cpuMicrosPerRequest.server,
      machineCpuMicrosPerRequest: machineMicros(m),
    })),
  };
}

function compare(what: string, without: Side, withIt: Side): Comparison {
  const ratio = withIt.requestsPerSecond / without.requestsPerSecond;
  return {
    what,
    without,
    with: withIt,
    throughputRatio: ratio,
    throughputCost: 1 - ratio,
    cpuCost: 1 - without.serverCpuMicrosPerRequest / withIt.serverCpuMicrosPerRequest,
    machineCpuCost: 1 - without.machineCpuMicrosPerRequest / withIt.machineCpuMicrosPerRequest,
    extraServerCpuMicrosPerRequest: withIt.serverCpuMicrosPerRequest - without.serverCpuMicrosPerRequest,
    extraRedisCpuMicrosPerRequest: withIt.redisCpuMicrosPerRequest - without.redisCpuMicrosPerRequest,
  };
}

/**
 * Logging's cost on one path, bracketed by two CPU-based estimates (steadier than requests/s on a shared
 * machine). The bench's requests/s are bounded partly by the server's own core (its event loop) and partly
 * by the two cores that the server, Redis and autocannon saturate together, so the throughput logging
 * costs lies between the cost by machine CPU (the low estimate: the extra µs diluted by Redis's and
 * autocannon's share) and the cost by server CPU (the high one: what an app with its core to itself loses).
 * Each is taken give or take half the spread of the two runs at 1 (the standard error of their mean).
 */
interface LoggingEstimate {
  readonly what: string;
  readonly extraServerCpuMicrosPerRequest: number;
  readonly low: number;
  readonly high: number;
  /** Measured requests/s lost, and how far apart the two runs at 1 were (its noise). */
  readonly throughputCost: number;
  readonly throughputSpread: number;
  /** 'over': even the low estimate is above the budget; 'under': even the high one is at or below it. */
  readonly verdict: 'over' | 'under' | 'between';
}

interface LoggingComparison {
  readonly comparisons: Comparison[];
  /** How the app's stdout was consumed while it logged. */
  readonly stdout: string;
  readonly budget: number;
  /** For the two paths the issue names (sold-out rejection, GET /sales/active). */
  readonly estimates: LoggingEstimate[];
  /**
   * 'yes': on at least one of the two paths even the low estimate is above the budget; 'no': on both even the
   * high estimate is at or below it; 'borderline': otherwise (the budget lies within the bracket).
   */
  readonly costsMoreThanBudget: 'yes' | 'no' | 'borderline';
}

/** How far apart a side's runs were: |a − b| ÷ their mean (0 for a single run). */
function spread(x: Side, f: (r: Side['runs'][number]) => number): number {
  const values = x.runs.map(f);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return (Math.max(...values) - Math.min(...values)) / mean;
}

function loggingEstimate(c: Comparison): LoggingEstimate {
  const low = c.machineCpuCost - spread(c.with, (r) => r.machineCpuMicrosPerRequest) / 2;
  const high = c.cpuCost + spread(c.with, (r) => r.serverCpuMicrosPerRequest) / 2;
  return {
    what: c.what,
    extraServerCpuMicrosPerRequest: c.extraServerCpuMicrosPerRequest,
    low,
    high,
    throughputCost: c.throughputCost,
    throughputSpread: spread(c.with, (r) => r.requestsPerSecond),
    verdict: low > LOGGING_BUDGET ? 'over' : high <= LOGGING_BUDGET ? 'under' : 'between',
  };
}

function loggingVerdict(estimates: LoggingEstimate[]): LoggingComparison['costsMoreThanBudget'] {
  if (estimates.some((e) => e.verdict === 'over')) return 'yes';
  return estimates.every((e) => e.verdict === 'under') ? 'no' : 'borderline';
}

interface StreamsComparison {
  readonly comparison: Comparison;
  readonly streams: number;
  /** Streams whose `event: snapshot` arrived, and in how long all of them were opened. */
  readonly opened: number;
  readonly snapshots: number;
  readonly openSeconds: number;
  /** flashsale_sale_event_streams on the app's /metrics while open and after they were closed. */
  readonly serverStreamsWhileOpen: number;
  readonly serverStreamsAfterClose: number;
  /** Open on the client side when the measured run began, when it ended, and after closing them. */
  readonly openAtRunStart: number;
  readonly openAfterRun: number;
  readonly openAfterClose: number;
  readonly runSeconds: number;
  /** `event: stock` received during the measured run: in all, and the fewest / most on one stream. */
  readonly stockEventsDuringRun: number;
  readonly stockEventsPerStreamMin: number;
  readonly stockEventsPerStreamMax: number;
  /** At most four stock events a second per sale (coalesced): what one stream can expect over the run. */
  readonly stockEventsPerStreamExpected: number;
  readonly endedByServer: number;
  readonly failed: number;
  readonly errors: string[];
  /** The stream-holding child's CPU during the measured run (% of one core): it shares the two cores. */
  readonly clientCpuPercent: number;
  /** The app's and the stream child's limit on open files. */
  readonly appOpenFileLimit: number;
  readonly clientOpenFileLimit: number;
}

interface RateLimitComparison {
  readonly comparison: Comparison;
  readonly limits: Record<string, string>;
  /** A checkout's answer carries the RateLimit header with RATE_LIMIT=on, and not with off. */
  readonly headerWhenOn: string | null;
  readonly headerWhenOff: string | null;
}

interface HttpResults {
  readonly scenarios: Measured[];
  readonly logging: LoggingComparison;
  readonly streams: StreamsComparison;
  readonly rateLimit: RateLimitComparison;
}

/** flashsale_sale_event_streams on the app's /metrics: open event streams as the server counts them. */
async function serverStreams(app: App): Promise<number> {
  const r = await call(app.port, 'GET', '/metrics');
  const m = /^flashsale_sale_event_streams (\d+)/m.exec(r.body);
  return m ? Number(m[1]) : NaN;
}

/**
 * Every HTTP scenario, on three instances of the app started one after the other (same data, same bare
 * server): app-http with the defaults of appEnv (every request logged, no rate limiting) runs the main
 * scenarios and the purchase with open event streams; app-nolog (LOG_REQUEST_SAMPLE_RATE=0) repeats the
 * rejection, GET /sales/active and the checkout, in reverse order; app-ratelimit (LOG_REQUEST_SAMPLE_RATE=0,
 * RATE_LIMIT=on with generous limits) repeats the checkout right after app-nolog's. The bare route is
 * measured first and last.
 */
async function httpScenarios(data: Data, items: Items, bare: { port: number; pid: number }): Promise<HttpResults> {
  const bareRoute: Scenario = { name: 'bare Fastify GET /bare', ...bare, method: 'GET', next: () => '/bare', expect: 200 };
  await preflight(bareRoute, (status) => status === 200);
  const results: Measured[] = [];
  const on = (app: App) => ({ port: app.port, pid: app.child.process.pid ?? 0, logFile: app.child.logFile });

  // Shared by every checkout: a new user and the next item each time, so every attempt is accepted and
  // opens a checkout. The codes it returns (one item each) are what the purchase scenarios buy.
  let users = 0;
  const codes: string[] = [];
  const keepCode = (status: number, body: string) => {
    if (status === 200) codes.push((JSON.parse(body) as { code: string }).code);
  };
  const checkoutPath = (prefix: string) => `/checkout?user_id=${prefix}${users++}&id=${items.take()}`;
  const checkoutOn = (app: App, name: string): Scenario => ({
    name,
    ...on(app),
    method: 'POST',
    next: () => checkoutPath('c'),
    expect: 200,
    onResponse: keepCode,
  });
  let rejected = 0;
  let soldOut: number[] = [];
  const rejectionOn = (app: App, name: string): Scenario => ({
    name,
    ...on(app),
    method: 'POST',
    next: () => {
      const i = rejected++;
      return `/checkout?user_id=r${i}&id=${soldOut[i % soldOut.length]}`;
    },
    expect: 409,
  });
  const activeOn = (app: App, name: string): Scenario => ({ name, ...on(app), method: 'GET', next: () => '/sales/active', expect: 200 });

  let app: App | undefined;
  let logging: LoggingComparison;
  let streams: StreamsComparison;
  let rateLimit: RateLimitComparison;
  try {
    app = await startApp(data, 'app-http');
    const httpApp = app;
    results.push({ ...(await measure(bareRoute)), name: 'bare Fastify GET /bare (first)' });

    // (1) Checkout.
    const checkout = checkoutOn(httpApp, 'POST /checkout (accepted)');
    await preflight(checkout, (status, b) => status === 200 && typeof b.code === 'string');
    await settle(data, httpApp);
    const checkoutResult = await measure(checkout);
    results.push(checkoutResult);

    // (2) Purchase: each request spends a fresh code. Purchases are cheaper than checkouts, so after the
    // warm-up more codes are made for 1.3 times the warm-up's rate over the run. Should it still run out, the
    // run ends early (and says so): a spent code is never sent again.
    const makeCodes = async (count: number) => {
      log(`preparing ${count} more checkout codes for the purchase scenarios`);
      await inParallel(count, S.connections, async () => {
        const r = await call(httpApp.port, 'POST', checkoutPath('p'));
        keepCode(r.status, r.body);
      });
      // Their attempts are written to PostgreSQL by the app: not during the measured run.
      await settle(data, httpApp);
    };
    let nextCode = 0;
    const purchaseOn = (name: string): Scenario => ({
      name,
      ...on(httpApp),
      method: 'POST',
      // The budget below keeps this within the codes; 'none' (a 400, counted as unexpected) cannot happen.
      next: () => `/purchase?code=${codes[nextCode++] ?? 'none'}`,
      expect: 200,
      budget: () => codes.length - nextCode,
    });
    /** Measures a purchase scenario and checks that every 200 bought a unit. */
    const measurePurchase = async (s: Scenario, hooks: MeasureHooks): Promise<Measured> => {
      await preflight(s, (status, b) => status === 200 && typeof b.orderId === 'string');
      await settle(data, httpApp);
      const soldBefore = await data.unitsSold(httpApp.saleId);
      const sentBefore = nextCode;
      const result = await measure(s, hooks);
      const sold = (await data.unitsSold(httpApp.saleId)) - soldBefore;
      if (nextCode >= codes.length) {
        result.notes.push(`PROBLEM: used up all ${codes.length} prepared codes: the run ended early, after ${result.durationSeconds} s`);
      }
      // Each fresh code buys exactly one unit: fewer units than 200s would mean answers without an order.
      result.notes.push(`${sold} units sold by ${nextCode - sentBefore} codes sent (warm-up and run; the last few may still be in flight)`);
      if (sold < (result.statusCodes['200'] ?? 0)) result.notes.push('PROBLEM: fewer units sold than purchases answered 200');
      return result;
    };
    const purchase = purchaseOn('POST /purchase (fresh code)');
    const forWarmup = Math.ceil(checkoutResult.requestsPerSecond * 3 * S.warmup);
    if (codes.length < forWarmup) await makeCodes(forWarmup - codes.length);
    const topUp = async (warmupRps: number) => {
      const rate = Number.isFinite(warmupRps) ? warmupRps : checkoutResult.requestsPerSecond * 3;
      const wanted = Math.ceil(rate * S.duration * 1.3) + 1000;
      if (codes.length - nextCode < wanted) await makeCodes(wanted - (codes.length - nextCode));
    };
    const purchaseResult = await measurePurchase(purchase, { between: topUp });
    results.push(purchaseResult);

    // (2b) The same with S.streams open event streams on the sale, held by a child process, then once more
    // without them (the "without" side is the mean of the runs before and after). Codes for the warm-up and
    // the run are made first (at 1.5 times the faster of the checkout and the purchase without streams), then
    // the streams opened; after the warm-up they are topped up as for the first run.
    const codesFor = async (rps: number) => {
      const wanted = Math.ceil(Math.max(rps, checkoutResult.requestsPerSecond) * (S.warmup + S.duration) * 1.5) + 1000;
      if (codes.length - nextCode < wanted) await makeCodes(wanted - (codes.length - nextCode));
    };
    const withStreams = purchaseOn(`POST /purchase (fresh code), ${fmt(S.streams)} open event streams`);
    await codesFor(purchaseResult.requestsPerSecond);
    log(`opening ${S.streams} GET /sales/${httpApp.saleId}/events streams (bench/event-streams.ts)`);
    const client = startNode(
      'event-streams',
      ['-r', 'ts-node/register/transpile-only', 'bench/event-streams.ts'],
      { PORT: String(httpApp.port), STREAM_PATH: `/sales/${httpApp.saleId}/events`, STREAMS: String(S.streams) },
      true,
    );
    let facts: Omit<StreamsComparison, 'comparison'>;
    let streamsResult: Measured;
    try {
      const clientPid = client.process.pid ?? 0;
      const opened = await ask<StreamCounts>(client, null, 'opened', 120_000);
      const serverWhileOpen = await serverStreams(httpApp);
      log(
        `${opened.withSnapshot} of ${S.streams} streams open with their snapshot in ${(opened.openMs / 1000).toFixed(1)} s ` +
          `(the app counts ${serverWhileOpen})` +
          (opened.failed ? `; ${opened.failed} failed: ${opened.errors.join('; ')}` : ''),
      );
      let marked: StreamCounts | undefined;
      let afterRun: StreamCounts | undefined;
      let clientCpu = NaN;
      let cpuAt = 0;
      streamsResult = await measurePurchase(withStreams, {
        between: topUp,
        beforeRun: async () => {
          marked = await ask<StreamCounts>(client, { cmd: 'mark' }, 'mark', 10_000);
          cpuAt = cpuSeconds(clientPid);
        },
        afterRun: async () => {
          clientCpu = cpuSeconds(clientPid) - cpuAt;
          afterRun = await ask<StreamCounts>(client, { cmd: 'count' }, 'count', 10_000);
        },
      });
      const clientCpuPercent = (100 * clientCpu) / streamsResult.durationSeconds;
      streamsResult.notes.push(
        `${fmt(afterRun!.open)} streams open after the run; ${fmt(afterRun!.stockSinceMark)} stock events received during it ` +
          `(${afterRun!.stockSinceMarkMin} to ${afterRun!.stockSinceMarkMax} per stream); the stream client used ${fmt(clientCpuPercent)}% CPU`,
      );
      results.push(streamsResult);
      log('closing the event streams');
      const closed = await ask<StreamCounts>(client, { cmd: 'close' }, 'closed', 30_000);
      let serverAfter = NaN;
      try {
        serverAfter = await waitFor(
          'the app to see every event stream closed',
          async () => {
            const n = await serverStreams(httpApp);
            return n === 0 ? n : undefined;
          },
          10_000,
        );
      } catch {
        serverAfter = await serverStreams(httpApp);
      }
      facts = {
        streams: S.streams,
        opened: opened.withSnapshot,
        snapshots: opened.snapshots,
        openSeconds: opened.openMs / 1000,
        serverStreamsWhileOpen: serverWhileOpen,
        serverStreamsAfterClose: serverAfter,
        openAtRunStart: marked!.open,
        openAfterRun: afterRun!.open,
        openAfterClose: closed.open,
        runSeconds: streamsResult.durationSeconds,
        stockEventsDuringRun: afterRun!.stockSinceMark,
        stockEventsPerStreamMin: afterRun!.stockSinceMarkMin,
        stockEventsPerStreamMax: afterRun!.stockSinceMarkMax,
        stockEventsPerStreamExpected: (1000 / 250) * streamsResult.durationSeconds,
        endedByServer: closed.ended,
        failed: closed.failed,
        errors: closed.errors,
        clientCpuPercent,
        appOpenFileLimit: openFileLimit(httpApp.child.process.pid ?? 0),
        clientOpenFileLimit: openFileLimit(clientPid),
      };
    } finally {
      await stopChild(client);
    }
    const purchaseAgain = purchaseOn('POST /purchase (fresh code), again after the streams closed');
    await codesFor(purchaseResult.requestsPerSecond);
    const purchaseAgainResult = await measurePurchase(purchaseAgain, { between: topUp });
    results.push(purchaseAgainResult);
    streams = {
      comparison: compare(
        'POST /purchase (fresh code)',
        side([purchaseResult, purchaseAgainResult], 'no open event streams (before and after)'),
        side([streamsResult], `${fmt(S.streams)} open event streams`),
      ),
      ...facts,
    };

    // (3) Rejection: a new user asks for an item that is sold out: 409 item_sold_out. The items kept aside
    // are bought out first, one unit per user.
    log(`buying out ${items.soldOut.length} items (${items.soldOut.length * S.unitsPerItem} checkouts and purchases)`);
    await inParallel(items.soldOut.length * S.unitsPerItem, S.connections, async (i) => {
      const item = items.soldOut[i % items.soldOut.length]!;
      const c = await call(httpApp.port, 'POST', `/checkout?user_id=x${i}&id=${item}`);
      if (c.status !== 200) throw new Error(`buying out: checkout ${c.status} ${c.body}`);
      const p = await call(httpApp.port, 'POST', `/purchase?code=${(JSON.parse(c.body) as { code: string }).code}`);
      if (p.status !== 200) throw new Error(`buying out: purchase ${p.status} ${p.body}`);
    });
    soldOut = await data.soldOut(httpApp.saleId, items.soldOut);
    if (soldOut.length !== items.soldOut.length) throw new Error(`only ${soldOut.length} of ${items.soldOut.length} items are sold out`);
    const isSoldOut = (status: number, b: Record<string, unknown>) => status === 409 && b.code === 'item_sold_out';
    const rejection = rejectionOn(httpApp, 'POST /checkout (409 item_sold_out)');
    await preflight(rejection, isSoldOut);
    await settle(data, httpApp);
    const rejectionLogged = await measure(rejection);
    results.push(rejectionLogged);

    // (4) Reading the running sale: the instance's calendar plus one Redis read.
    const isActive = (status: number, b: Record<string, unknown>) => status === 200 && b.id === httpApp.saleId;
    const active = activeOn(httpApp, 'GET /sales/active');
    await preflight(active, isActive);
    await settle(data, httpApp);
    const activeLogged = await measure(active);
    results.push(activeLogged);
    await stopChild(httpApp.child);

    // (5) Logging's cost: the same paths on an instance that logs no request (in reverse order), then on a
    // fresh instance that logs every request again: the log=1 side is the mean of the runs before and after.
    const isCheckout = (status: number, b: Record<string, unknown>) => status === 200 && typeof b.code === 'string';
    app = await startApp(data, 'app-nolog', { LOG_REQUEST_SAMPLE_RATE: '0' });
    const quiet = app;
    const active0 = activeOn(quiet, 'GET /sales/active, LOG_REQUEST_SAMPLE_RATE=0');
    await preflight(active0, isActive);
    await settle(data, quiet);
    const activeQuiet = await measure(active0);
    results.push(activeQuiet);
    const rejection0 = rejectionOn(quiet, 'POST /checkout (409 item_sold_out), LOG_REQUEST_SAMPLE_RATE=0');
    await preflight(rejection0, isSoldOut);
    await settle(data, quiet);
    const rejectionQuiet = await measure(rejection0);
    results.push(rejectionQuiet);
    const checkout0 = checkoutOn(quiet, 'POST /checkout (accepted), LOG_REQUEST_SAMPLE_RATE=0');
    await preflight(checkout0, isCheckout);
    await settle(data, quiet);
    const checkoutQuiet = await measure(checkout0);
    results.push(checkoutQuiet);
    await stopChild(quiet.child);

    app = await startApp(data, 'app-log', { LOG_REQUEST_SAMPLE_RATE: '1' });
    const loud = app;
    const rejection1 = rejectionOn(loud, 'POST /checkout (409 item_sold_out), again (LOG_REQUEST_SAMPLE_RATE=1)');
    await preflight(rejection1, isSoldOut);
    await settle(data, loud);
    const rejectionAgain = await measure(rejection1);
    results.push(rejectionAgain);
    const active1 = activeOn(loud, 'GET /sales/active, again (LOG_REQUEST_SAMPLE_RATE=1)');
    await preflight(active1, isActive);
    await settle(data, loud);
    const activeAgain = await measure(active1);
    results.push(activeAgain);
    const checkout1 = checkoutOn(loud, 'POST /checkout (accepted), again (LOG_REQUEST_SAMPLE_RATE=1)');
    await preflight(checkout1, isCheckout);
    const headerWhenOff = (await call(loud.port, 'POST', checkout1.next())).headers['ratelimit'];
    await settle(data, loud);
    const checkoutAgain = await measure(checkout1);
    results.push(checkoutAgain);
    await stopChild(loud.child);

    const off = 'LOG_REQUEST_SAMPLE_RATE=0';
    const every = 'LOG_REQUEST_SAMPLE_RATE=1 (before and after)';
    const loggingComparisons = [
      compare('POST /checkout (409 item_sold_out)', side([rejectionQuiet], off), side([rejectionLogged, rejectionAgain], every)),
      compare('GET /sales/active', side([activeQuiet], off), side([activeLogged, activeAgain], every)),
      compare('POST /checkout (accepted)', side([checkoutQuiet], off), side([checkoutResult, checkoutAgain], every)),
    ];
    const estimates = loggingComparisons.slice(0, 2).map(loggingEstimate);
    logging = {
      comparisons: loggingComparisons,
      stdout:
        "a regular file on local disk (bench/results/logs/<app>.log), opened by the bench and handed to the app as its stdout; the app writes it itself through pino's asynchronous destination (sonic-boom); nothing reads a pipe",
      budget: LOGGING_BUDGET,
      estimates,
      costsMoreThanBudget: loggingVerdict(estimates),
    };

    // (6) Rate limiting's cost: the accepted checkout with RATE_LIMIT=on, against app-log's checkout just
    // before it (both log every request, the default, so the limiter is the only difference).
    app = await startApp(data, 'app-ratelimit', { LOG_REQUEST_SAMPLE_RATE: '1', RATE_LIMIT: 'on', ...GENEROUS_LIMITS });
    const limited = app;
    const checkoutLimited = checkoutOn(limited, 'POST /checkout (accepted), RATE_LIMIT=on');
    await preflight(checkoutLimited, isCheckout);
    const headerWhenOn = (await call(limited.port, 'POST', checkoutLimited.next())).headers['ratelimit'];
    if (typeof headerWhenOn !== 'string') throw new Error('RATE_LIMIT=on: a checkout came back without a RateLimit header');
    await settle(data, limited);
    const limitedResult = await measure(checkoutLimited);
    results.push(limitedResult);
    await stopChild(limited.child);
    rateLimit = {
      comparison: compare(
        'POST /checkout (accepted)',
        side([checkoutAgain], 'RATE_LIMIT=off'),
        side(
          [limitedResult],
          `RATE_LIMIT=on, ${Object.entries(GENEROUS_LIMITS)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
        ),
      ),
      limits: GENEROUS_LIMITS,
      headerWhenOn,
      headerWhenOff: typeof headerWhenOff === 'string' ? headerWhenOff : null,
    };
  } finally {
    if (app) await stopChild(app.child);
  }

  // The bare route again at the end: two samples of the yardstick show how much the machine drifted.
  results.push({ ...(await measure(bareRoute)), name: 'bare Fastify GET /bare (last)' });
  return { scenarios: results, logging, streams, rateLimit };
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

/** A fraction as a signed percentage: 0.123 -> "+12.3%". */
const pct = (x: number) => (Number.isFinite(x) ? `${x > 0 ? '+' : ''}${fmt(x * 100, 1)}%` : '-');

function loggingSection(l: LoggingComparison): string[] {
  const budget = `${fmt(l.budget * 100)}%`;
  const lines = [
    '',
    '### Logging every request: LOG_REQUEST_SAMPLE_RATE=1 vs 0 (the default, 0.01, costs about as little as 0)',
    '',
    '- Three instances of the app one after the other (each started after the previous one stopped): app-http logging every request, ' +
      'app-nolog logging none, app-log logging every request again; the same paths and bare route. ' +
      'The "at 1" side is the mean of the run before and the run after the "at 0" run (both shown): their spread is the noise of the machine.',
    `- The app's stdout was ${l.stdout}.`,
    '- Cost = throughput lost by logging every request. By req/s: 1 − (req/s at 1) ÷ (req/s at 0), as measured (noisy here). ' +
      'By server CPU: 1 − (server µs/req at 0) ÷ (at 1), what the app loses where its own core is the limit (the high estimate). ' +
      'By machine CPU: the same with server + Redis + autocannon µs/req, what the bench loses where the two cores they share are the limit (the low estimate).',
    '',
    '| Scenario | Req/s at 0 | Req/s at 1: before, after → mean | Cost (req/s) | Server µs/req at 0 | Server µs/req at 1: before, after → mean | Cost by server CPU | Machine µs/req at 0 / 1 | Cost by machine CPU | p99 ms at 0 / 1 | Log lines per response at 0 / 1 | Server write syscalls per response at 0 / 1 |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|---|',
  ];
  const runs = (x: Side, f: (r: Side['runs'][number]) => number, digits: number) => x.runs.map((r) => fmt(f(r), digits)).join(', ');
  for (const c of l.comparisons) {
    lines.push(
      `| ${c.what} | ${fmt(c.without.requestsPerSecond)} | ${runs(c.with, (r) => r.requestsPerSecond, 0)} → ${fmt(c.with.requestsPerSecond)} | ` +
        `${pct(c.throughputCost)} | ${fmt(c.without.serverCpuMicrosPerRequest, 1)} | ` +
        `${runs(c.with, (r) => r.serverCpuMicrosPerRequest, 1)} → ${fmt(c.with.serverCpuMicrosPerRequest, 1)} | ${pct(c.cpuCost)} | ` +
        `${fmt(c.without.machineCpuMicrosPerRequest, 1)} / ${fmt(c.with.machineCpuMicrosPerRequest, 1)} | ${pct(c.machineCpuCost)} | ` +
        `${fmt(c.without.p99Ms)} / ${fmt(c.with.p99Ms, 1)} | ` +
        `${fmt(c.without.logLinesPerResponse, 2)} / ${fmt(c.with.logLinesPerResponse, 2)} | ` +
        `${fmt(c.without.serverWriteSyscallsPerResponse, 2)} / ${fmt(c.with.serverWriteSyscallsPerResponse, 2)} |`,
    );
  }
  const bracket = (e: LoggingEstimate) => `${fmt(Math.max(0, e.low) * 100, 1)}% to ${fmt(e.high * 100, 1)}%`;
  const verdict =
    l.costsMoreThanBudget === 'yes'
      ? `**Yes: logging every request costs more than ${budget} of throughput** on ${l.estimates
          .filter((e) => e.verdict === 'over')
          .map((e) => e.what)
          .join(' and ')}, even by the low estimate. Sample (LOG_REQUEST_SAMPLE_RATE < 1).`
      : l.costsMoreThanBudget === 'no'
        ? `**No: logging every request costs at most ${budget} of throughput** on both paths, even by the high estimate. One line per request at info is within the budget.`
        : `**Borderline: ${budget} lies within the cost's bracket** (${l.estimates.map((e) => `${e.what}: ${bracket(e)}`).join('; ')}): ` +
          'above it where the app has its core to itself, below it where the server shares the cores with Redis and the load. Run again on a quieter machine to narrow it.';
  lines.push(
    '',
    "The issue's budget is judged on the two cheap paths it names (the sold-out rejection and GET /sales/active); the accepted checkout, the costliest path, is shown for scale. " +
      'Each cost is bracketed by the two CPU estimates, each give or take half the spread of the two runs at 1 (the standard error of their mean).',
    '',
    `Does logging every request cost more than ${budget}? ${verdict}`,
    '',
    ...l.estimates.map(
      (e) =>
        `- ${e.what}: ${fmt(e.extraServerCpuMicrosPerRequest, 1)} µs more server CPU per request; cost ${bracket(e)} ` +
        `(measured req/s: ${pct(e.throughputCost)}, the two runs at 1 ${fmt(e.throughputSpread * 100, 1)}% apart).`,
    ),
  );
  return lines;
}

function streamsSection(st: StreamsComparison): string[] {
  const c = st.comparison;
  const row = (label: string, x: Side) =>
    `| ${label} | ${x.runs.length > 1 ? `${x.runs.map((r) => fmt(r.requestsPerSecond)).join(', ')} → ` : ''}${fmt(x.requestsPerSecond)} | ` +
    `${fmt(x.p50Ms, 1)} | ${fmt(x.p99Ms, 1)} | ` +
    `${x.runs.length > 1 ? `${x.runs.map((r) => fmt(r.serverCpuMicrosPerRequest, 1)).join(', ')} → ` : ''}${fmt(x.serverCpuMicrosPerRequest, 1)} | ` +
    `${fmt(x.redisCpuMicrosPerRequest, 1)} |`;
  return [
    '',
    `### POST /purchase with ${fmt(st.streams)} open GET /sales/:id/events streams vs none`,
    '',
    '- All on app-http (every request logged, no rate limiting): a purchase run without streams, one with them, one without again; ' +
      'the "without" side is the mean of the runs before and after (both shown).',
    '',
    '| POST /purchase (fresh code) | Req/s | p50 ms | p99 ms | Server CPU µs/req | Redis CPU µs/req |',
    '|---|---:|---:|---:|---:|---:|',
    row(c.without.setting, c.without),
    row(c.with.setting, c.with),
    '',
    `- With the streams: ${fmt(c.throughputRatio * 100, 1)}% of the requests/s without (cost ${pct(c.throughputCost)}; by server CPU ${pct(c.cpuCost)}, ` +
      `${c.extraServerCpuMicrosPerRequest >= 0 ? '+' : ''}${fmt(c.extraServerCpuMicrosPerRequest, 1)} µs per purchase); p99 ${fmt(c.without.p99Ms)} → ${fmt(c.with.p99Ms)} ms.`,
    `- Opened: ${fmt(st.opened)} of ${fmt(st.streams)} streams received their \`event: snapshot\` (${fmt(st.snapshots)} snapshots) in ${fmt(st.openSeconds, 1)} s; ` +
      `the app counted ${fmt(st.serverStreamsWhileOpen)} open (flashsale_sale_event_streams). Open when the run began: ${fmt(st.openAtRunStart)}, when it ended: ${fmt(st.openAfterRun)}.`,
    `- Stock events during the ${fmt(st.runSeconds, 1)} s run: ${fmt(st.stockEventsDuringRun)} received, ` +
      `${fmt(st.stockEventsPerStreamMin)} to ${fmt(st.stockEventsPerStreamMax)} per stream (coalesced to at most 4/s: about ${fmt(st.stockEventsPerStreamExpected)} expected).`,
    `- Closed afterwards: ${fmt(st.openAfterClose)} open on the client side, ${fmt(st.serverStreamsAfterClose)} on the app's; ` +
      `${fmt(st.endedByServer)} ended by the server and ${fmt(st.failed)} failed before that${st.errors.length ? ` (${st.errors.join('; ')})` : ''}.`,
    `- The stream client (bench/event-streams.ts, its own process) used ${fmt(st.clientCpuPercent)}% of one core during the run, on the same two cores: ` +
      "part of the drop in req/s is the client's reading, which real browsers do elsewhere; the server's CPU µs per purchase is the app's own cost.",
    `- Open-file limits: app ${fmt(st.appOpenFileLimit)}, stream client ${fmt(st.clientOpenFileLimit)} ` +
      '(scripts/bench.sh raises the soft limit to BENCH_STREAMS + 4,096 when it is lower and the hard limit allows).',
  ];
}

function rateLimitSection(r: RateLimitComparison): string[] {
  const c = r.comparison;
  const row = (x: Side) =>
    `| ${x.setting} | ${fmt(x.requestsPerSecond)} | ${fmt(x.p50Ms)} | ${fmt(x.p99Ms)} | ${fmt(x.serverCpuMicrosPerRequest, 1)} / ${fmt(x.redisCpuMicrosPerRequest, 1)} |`;
  return [
    '',
    '### Rate limiting: POST /checkout (accepted), RATE_LIMIT=on vs off',
    '',
    "- app-log's checkout (the last run before) and app-ratelimit's, one right after the other; both log every request (the default), so the limiter is the only difference. " +
      'Each checkout is a new user, so every request checks (and adds to) the IP window and a fresh user window in one Lua call.',
    '',
    '| POST /checkout (accepted) | Req/s | p50 ms | p99 ms | CPU µs/req: server / Redis |',
    '|---|---:|---:|---:|---|',
    row(c.without),
    row(c.with),
    '',
    `- Rate limiting on: ${fmt(c.throughputRatio * 100, 1)}% of the requests/s with it off (cost ${pct(c.throughputCost)}; by server CPU ${pct(c.cpuCost)}, by machine CPU ${pct(c.machineCpuCost)}); ` +
      `${c.extraServerCpuMicrosPerRequest >= 0 ? '+' : ''}${fmt(c.extraServerCpuMicrosPerRequest, 1)} µs server and ` +
      `${c.extraRedisCpuMicrosPerRequest >= 0 ? '+' : ''}${fmt(c.extraRedisCpuMicrosPerRequest, 1)} µs Redis CPU per checkout; p99 ${fmt(c.without.p99Ms)} → ${fmt(c.with.p99Ms)} ms.`,
    `- Checked before the load: a checkout's RateLimit header with RATE_LIMIT=on: \`${r.headerWhenOn}\`; with off: ${r.headerWhenOff === null ? 'none' : `\`${r.headerWhenOff}\``}.`,
  ];
}

function report(
  machine: Record<string, string | number>,
  http: HttpResults,
  drain: Drain,
  problems: string[],
  totalSeconds: number,
): string {
  const scenarios = http.scenarios;
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
    `- Rows from "POST /purchase … open event streams" on are the comparisons below; the bench took ${fmt(totalSeconds)} s`,
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
  lines.push(...loggingSection(http.logging), ...streamsSection(http.streams), ...rateLimitSection(http.rateLimit));
  const notes = scenarios.flatMap((s) => s.notes.map((n) => `- ${s.name}: ${n}`));
  if (notes.length) lines.push('', '### Notes', '', ...notes);
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
  const app = await startApp(data, 'app-drain');
  const items = new Items(app.items);
  const drain = await drainScenario(data, app, items);

  const bare = await startBare();
  let http: HttpResults;
  try {
    http = await httpScenarios(data, items, { port: bare.port, pid: bare.child.process.pid ?? 0 });
  } finally {
    await stopChild(bare.child);
  }
  const scenarios = http.scenarios;
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
  // Every app instance logs every request but app-nolog's. The log is buffered: allow a little for lines still
  // on their way when the run's count was taken.
  for (const s of scenarios.filter((x) => !x.name.startsWith('bare'))) {
    const quiet = s.name.includes('LOG_REQUEST_SAMPLE_RATE=0');
    if (quiet ? !(s.logLinesPerResponse <= 0.01) : !(s.logLinesPerResponse >= 0.95))
      problems.push(`${s.name}: ${fmt(s.logLinesPerResponse, 2)} log lines per response, expected ${quiet ? 'none' : '1'}`);
  }
  const st = http.streams;
  if (st.opened !== st.streams || st.serverStreamsWhileOpen !== st.streams)
    problems.push(`event streams: ${st.opened} of ${st.streams} opened, the app counted ${st.serverStreamsWhileOpen}`);
  if (st.openAtRunStart !== st.streams || st.openAfterRun !== st.streams)
    problems.push(`event streams: ${st.openAtRunStart} open when the run began, ${st.openAfterRun} when it ended, of ${st.streams}`);
  if (st.stockEventsPerStreamMin < 1) problems.push('event streams: some stream received no stock event during the run');
  if (st.openAfterClose !== 0 || st.serverStreamsAfterClose !== 0)
    problems.push(`event streams: still open after closing them: ${st.openAfterClose} (client), ${st.serverStreamsAfterClose} (app)`);
  if (http.rateLimit.headerWhenOff !== null) problems.push('RATE_LIMIT=off: a checkout came back with a RateLimit header');
  const totalSeconds = (Date.now() - started) / 1000;

  process.stdout.write(`\n${report(machine, http, drain, problems, totalSeconds)}\n\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest.json');
  const json = {
    date: new Date().toISOString(),
    totalSeconds,
    machine,
    settings: { ...S, soldOutItems: SOLD_OUT_ITEMS, targetRatio: TARGET_RATIO, saleDurationSeconds: SALE_DURATION_SECONDS },
    bareRequestsPerSecond: yardstick,
    scenarios,
    drain,
    comparisons: { logging: http.logging, eventStreams: http.streams, rateLimit: http.rateLimit },
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
