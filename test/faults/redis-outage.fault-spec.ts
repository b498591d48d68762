import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { NodeProcess, ROOT, freePort, httpRequest, spawnDist, waitUntilReady } from '../support/processes';
import {
  RedisServer,
  Timed,
  checkoutRecords,
  ledgerOrders,
  pgOrderCount,
  prepareSaleOn,
  queueState,
  redisPgDisagreements,
  reportFault,
  tail,
  timedRequest,
  waitFor,
  closeFaultStores,
  openFaultStores,
} from '../support/faults';

/*
 * Fault 3: Redis (a redis-server of the test's own, AOF on) becomes unreachable under the running app:
 * (a) killed with SIGKILL, then started again on the same port and directory; (b) hung with SIGSTOP, then
 * resumed with SIGCONT. Requests must fail fast with 503 problem+json and Retry-After (never hang), the
 * process must stay up and say it is not ready, and it must heal by itself when Redis is back.
 */

/** REDIS_COMMAND_TIMEOUT_MS's default, which the app runs with here. */
const COMMAND_TIMEOUT_MS = 500;
/** Every answer while Redis is away comes within a second (the issue: "well under a second"). */
const HANG_BOUND_MS = 1_000;
/** A request on a hung Redis waits the command timeout and a little more, not the next one's too. */
const TIMED_OUT_BOUND_MS = COMMAND_TIMEOUT_MS + 300;
const FAULT_MS = 3_000;
const RECOVERY_BOUND_MS = 15_000;
const CLIENTS = 10;

jest.setTimeout(90_000);

const ADMIN_TOKEN = 'redis-outage-admin-token-0123456789';

let redisServer: RedisServer;
let redis: Redis;
let pg: Client;
let databaseUrl: string;
let api: NodeProcess;
let url: string;
let saleId: number;
let items: number[];
let nextItem = 0;
let nextUser = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

beforeAll(async () => {
  ({ redisServer, redis, pg, databaseUrl } = await openFaultStores());
  const urls = { REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl };
  const prepared = await prepareSaleOn(urls, { itemsTotal: 3000, saleCap: 3000, perUserLimit: 10 });
  saleId = prepared.sale.id;
  items = prepared.items;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  api = spawnDist('main.js', {
    ...urls,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '0',
    ADMIN_TOKEN,
  });
  await waitUntilReady(url, api);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await api?.kill();
  await closeFaultStores({ redis, pg });
});

const newUser = () => `redis-fault-${nextUser++}`;
const newItem = () => items[nextItem++]!;

/** A user with an open checkout of one fresh item: its code, ready to be purchased. */
async function openCheckout(): Promise<{ user: string; item: number; code: string }> {
  const user = newUser();
  const item = newItem();
  const c = await timedRequest(agent, 'POST', `${url}/checkout?user_id=${user}&id=${item}`);
  if (c.status !== 200) throw new Error(`checkout: ${c.status ?? c.error} ${JSON.stringify(c.body)}`);
  return { user, item, code: c.body.code };
}

async function purchase(code: string): Promise<Timed> {
  return timedRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(code)}`, 5_000);
}

type Kind = 'checkout' | 'purchase' | 'sales/active' | 'ready' | 'live';
interface Sent extends Timed {
  readonly kind: Kind;
  readonly user?: string;
  readonly code?: string;
}

/**
 * CLIENTS clients send requests one after another for `ms`, cycling through checkout (a new user), purchase
 * (one of `codes`), GET /sales/active, GET /health/ready and GET /health/live.
 */
async function traffic(ms: number, codes: string[]): Promise<Sent[]> {
  const sent: Sent[] = [];
  const until = Date.now() + ms;
  const kinds: Kind[] = ['checkout', 'purchase', 'sales/active', 'ready', 'live'];
  let n = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        const kind = kinds[n++ % kinds.length]!;
        if (kind === 'checkout') {
          const user = newUser();
          sent.push({
            kind,
            user,
            ...(await timedRequest(agent, 'POST', `${url}/checkout?user_id=${user}&id=${items[n % items.length]}`, 5_000)),
          });
        } else if (kind === 'purchase') {
          const code = codes[n % codes.length]!;
          sent.push({ kind, code, ...(await purchase(code)) });
        } else {
          const path = kind === 'sales/active' ? '/sales/active' : `/health/${kind}`;
          sent.push({ kind, ...(await timedRequest(agent, 'GET', `${url}${path}`, 5_000)) });
        }
      }
    }),
  );
  return sent;
}

/** What went wrong with the requests sent while Redis was away (empty when all is as it must be). */
function misbehaviour(sent: Sent[]): unknown[] {
  return sent
    .filter((r) => {
      if (r.status === undefined || r.ms > HANG_BOUND_MS) return true;
      if (r.kind === 'live') return r.status !== 200;
      if (r.kind === 'ready')
        return r.status !== 503 || !String(r.body?.detail).includes('redis') || r.body?.checks?.redis?.status !== 'down';
      if (r.kind === 'sales/active') return r.status >= 500 && r.status !== 503;
      return (
        r.status !== 503 ||
        !/^application\/problem\+json/.test(String(r.headers?.['content-type'])) ||
        r.headers?.['retry-after'] !== '1' ||
        r.body?.code !== 'service_unavailable'
      );
    })
    .map((r) => ({ kind: r.kind, status: r.status, error: r.error, ms: r.ms, body: r.body }));
}

function summary(sent: Sent[]) {
  const byKind: Record<string, Record<string, number>> = {};
  for (const r of sent) {
    const k = (byKind[r.kind] ??= {});
    const s = String(r.status ?? r.error);
    k[s] = (k[s] ?? 0) + 1;
  }
  const maxMsByKind: Record<string, number> = {};
  for (const r of sent) maxMsByKind[r.kind] = Math.max(maxMsByKind[r.kind] ?? 0, r.ms);
  const failFast = sent.filter((r) => r.status === 503).map((r) => r.ms);
  return { requests: sent.length, byKind, maxMsByKind, max503Ms: Math.max(...failFast) };
}

/** Polls with a fresh checkout until one is answered 200; returns when. */
async function firstSuccess(): Promise<{ ok: boolean; at: number }> {
  return waitFor(
    () => timedRequest(agent, 'POST', `${url}/checkout?user_id=${newUser()}&id=${newItem()}`, 5_000),
    (r) => r.status === 200,
    RECOVERY_BOUND_MS,
    50,
  );
}

async function readyAgain(): Promise<{ ok: boolean; at: number }> {
  return waitFor(
    () => timedRequest(agent, 'GET', `${url}/health/ready`, 5_000),
    (r) => r.status === 200,
    RECOVERY_BOUND_MS,
    50,
  );
}

/** Waits until PostgreSQL holds every purchase Redis acknowledged and the queue is empty. */
async function drained(): Promise<{ ok: boolean; at: number; value: unknown }> {
  return waitFor(
    async () => {
      const expected = ledgerOrders(await checkoutRecords(redis, saleId)).size;
      const written = await pgOrderCount(pg, saleId);
      const q = await queueState(redis);
      return { expected, written, ...q, outbox: await redis.xlen(`{sale:${saleId}}:outbox`) };
    },
    (s) => s.written === s.expected && s.outbox === 0 && s.wait + s.active + s.delayed + s.prioritized === 0,
    RECOVERY_BOUND_MS * 2,
    100,
  );
}

it('(a) Redis killed: 503 at once, the process stays up, and heals by itself when Redis restarts with its data', async () => {
  // Before: a few purchases, written; a few open checkouts to buy later.
  const bought: { code: string; body: unknown }[] = [];
  for (let i = 0; i < 5; i++) {
    const { code } = await openCheckout();
    const p = await purchase(code);
    expect(p.status).toBe(200);
    bought.push({ code, body: p.body });
  }
  const pending = await Promise.all(Array.from({ length: 10 }, () => openCheckout()));
  expect((await drained()).ok).toBe(true);

  await redisServer.kill();
  const killedAt = Date.now();
  const sent = await traffic(
    FAULT_MS,
    pending.map((p) => p.code),
  );
  const alive = api.child.exitCode === null && api.child.signalCode === null;
  expect(misbehaviour(sent)).toEqual([]);
  expect(sent.filter((r) => r.kind === 'checkout' || r.kind === 'purchase').length).toBeGreaterThan(20);
  expect(alive).toBe(true);
  // The operator's dashboard still answers while Redis is down (that is when it is looked at): health says
  // Redis is down and the sale's live figures are marked unavailable, not shown as "no sale".
  const dashboard = await httpRequest(agent, 'GET', `${url}/admin/dashboard`, 5_000, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const board = dashboard.body as { health?: { redis?: string }; saleUnavailable?: boolean; sale?: unknown } | undefined;
  expect([dashboard.status, board?.health?.redis, board?.saleUnavailable, board?.sale]).toEqual([200, 'down', true, null]);

  // Same port, same directory: the AOF brings the sale back.
  await redisServer.launch();
  const redisBackAt = Date.now();
  const first = await firstSuccess();
  const ready = await readyAgain();
  expect({ first: first.ok, ready: ready.ok, log: first.ok && ready.ok ? '' : tail(api.output) }).toEqual({
    first: true,
    ready: true,
    log: '',
  });

  // Nothing acknowledged before the crash is lost: the spent codes answer as before, and the checkouts left
  // open can be bought now and reach PostgreSQL (relay and worker healed too).
  for (const b of bought) {
    const again = await purchase(b.code);
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: b.body });
  }
  for (const p of pending) {
    const r = await purchase(p.code);
    expect({ status: r.status, purchased: r.body?.purchased }).toEqual({ status: 200, purchased: [p.item] });
  }
  const d = await drained();
  if (!d.ok) throw new Error(`not drained: ${JSON.stringify(d.value)}\n${tail(api.output)}`);
  expect(await redisPgDisagreements(redis, pg, saleId)).toEqual([]);
  expect(api.child.exitCode).toBeNull();

  reportFault('redis-killed', {
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    outageMs: redisBackAt - killedAt,
    ...summary(sent),
    firstSuccessAfterRedisBackMs: first.at - redisBackAt,
    readyAfterRedisBackMs: ready.at - redisBackAt,
    drainedAfterRedisBackMs: d.at - redisBackAt,
    processRestarted: false,
  });
});

it('(b) Redis hung (SIGSTOP): 503 within the command timeout instead of hanging, and back to normal on SIGCONT', async () => {
  const pending = await Promise.all(Array.from({ length: 10 }, () => openCheckout()));
  redisServer.pause();
  const pausedAt = Date.now();
  let sent: Sent[];
  let alive: boolean;
  try {
    sent = await traffic(
      FAULT_MS,
      pending.map((p) => p.code),
    );
    alive = api.child.exitCode === null && api.child.signalCode === null;
  } finally {
    redisServer.resume();
  }
  const resumedAt = Date.now();
  expect(misbehaviour(sent)).toEqual([]);
  expect(sent.filter((r) => r.kind === 'checkout' || r.kind === 'purchase').length).toBeGreaterThan(20);
  expect(alive).toBe(true);
  // Each failed request waited about the command timeout, not longer.
  const timedOut = sent.filter((r) => (r.kind === 'checkout' || r.kind === 'purchase') && r.status === 503);
  expect(Math.max(...timedOut.map((r) => r.ms))).toBeLessThan(TIMED_OUT_BOUND_MS);

  const first = await firstSuccess();
  const ready = await readyAgain();
  expect({ first: first.ok, ready: ready.ok, log: first.ok && ready.ok ? '' : tail(api.output) }).toEqual({
    first: true,
    ready: true,
    log: '',
  });

  // A command that timed out was still in Redis's input when it stopped, and runs when it resumes: a purchase
  // answered 503 may have happened after all. Never half: it is then a complete order, and asking again with
  // the same code tells the buyer (the stored result). Count them, and check that.
  const records = await checkoutRecords(redis, saleId);
  const doneAnyway = pending.filter((p) => records.get(p.code)?.s === 'spent');
  for (const p of doneAnyway) {
    const again = await purchase(p.code);
    expect({ status: again.status, purchased: again.body?.purchased }).toEqual({ status: 200, purchased: [p.item] });
  }
  const checkoutsDoneAnyway = await redis.hmget(`{sale:${saleId}}:open`, ...sent.filter((r) => r.kind === 'checkout').map((r) => r.user!));
  const d = await drained();
  if (!d.ok) throw new Error(`not drained: ${JSON.stringify(d.value)}\n${tail(api.output)}`);
  expect(await redisPgDisagreements(redis, pg, saleId)).toEqual([]);
  expect(api.child.exitCode).toBeNull();

  reportFault('redis-hung-sigstop', {
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    pausedMs: resumedAt - pausedAt,
    ...summary(sent),
    firstSuccessAfterSigcontMs: first.at - resumedAt,
    readyAfterSigcontMs: ready.at - resumedAt,
    purchasesAnswered503ButDoneOnResume: doneAnyway.length,
    checkoutsAnswered503ButDoneOnResume: checkoutsDoneAnyway.filter((c) => c !== null).length,
    processRestarted: false,
  });
});

it('(c) the admin CLI with Redis down exits non-zero with a one-line reason instead of hanging', async () => {
  // README: every command "exits 0 on success and non-zero with a one-line reason on failure".
  const CLI_BOUND_MS = 10_000;
  await redisServer.kill();
  const runs: { command: string; code: number | null; killedByTest: boolean; ms: number; stderr: string }[] = [];
  try {
    for (const command of ['queue:status', 'queue:failed', 'orders:reconcile']) {
      const started = Date.now();
      runs.push(
        await new Promise((resolve) =>
          execFile(
            process.execPath,
            [path.join(ROOT, 'dist', 'cli.js'), command, '--json'],
            { cwd: ROOT, env: { ...process.env, REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl }, timeout: CLI_BOUND_MS },
            (error, _stdout, stderr) =>
              resolve({
                command,
                code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
                killedByTest: Boolean(error?.killed),
                ms: Date.now() - started,
                stderr: stderr.trim(),
              }),
          ),
        ),
      );
    }
  } finally {
    await redisServer.launch();
  }
  reportFault('redis-killed-admin-cli', { boundMs: CLI_BOUND_MS, runs });
  expect(runs.filter((r) => r.killedByTest).map((r) => `${r.command} still running after ${CLI_BOUND_MS} ms`)).toEqual([]);
  for (const r of runs) {
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: \S.*$/);
  }
});

it('(d) warns when Redis may evict keys, also when it reconnects (not only at start)', async () => {
  // The log is JSON, so the policy's quotes are escaped in it.
  const logged = () => (api.output.stdout + api.output.stderr).match(/maxmemory-policy is \\?"allkeys-lru/g)?.length ?? 0;
  const before = logged();
  await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    // Drop the app's request connection: it reconnects by itself and checks the server again.
    // (It may still be reconnecting after the restart in (c).)
    const found = await waitFor(
      async () => ((await redis.client('LIST')) as string).split('\n').find((line) => / name=flashsale:command:/.test(line)),
      (line) => typeof line === 'string',
      10_000,
    );
    expect(found.ok).toBe(true);
    await redis.client('KILL', 'ID', found.value!.match(/\bid=(\d+)/)![1]!);
    const seen = await waitFor(
      async () => logged(),
      (n) => n > before,
      10_000,
      50,
    );
    expect({ warned: seen.ok, log: seen.ok ? '' : tail(api.output) }).toEqual({ warned: true, log: '' });
  } finally {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

it('(e) Redis full (maxmemory reached, noeviction): checkouts and purchases answer 503 with Retry-After, never 500, and heal', async () => {
  // The app may still be reconnecting after (d) killed its connection: start from a checkout that works.
  const opened = await waitFor(
    () => openCheckout().catch(() => null),
    (o) => o !== null,
    10_000,
    100,
  );
  expect(opened.ok).toBe(true);
  const open = opened.value!;
  const before = await checkoutRecords(redis, saleId);
  // Far below what Redis holds: every write is refused with OOM until it is raised again.
  await redis.config('SET', 'maxmemory', '1');
  let answers: Timed[];
  try {
    answers = [
      await timedRequest(agent, 'POST', `${url}/checkout?user_id=${newUser()}&id=${newItem()}`),
      await timedRequest(agent, 'POST', `${url}/checkout?user_id=${open.user}&id=${newItem()}`),
      await purchase(open.code),
    ];
  } finally {
    await redis.config('SET', 'maxmemory', '0');
  }
  expect(answers.map((a) => [a.status, a.headers?.['retry-after'], a.body?.code])).toEqual(
    answers.map(() => [503, '1', 'service_unavailable']),
  );
  // Nothing half-written, and the same code buys once Redis takes writes again.
  expect(await checkoutRecords(redis, saleId)).toEqual(before);
  expect((await purchase(open.code)).status).toBe(200);
});
