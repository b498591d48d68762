import http from 'node:http';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { NodeProcess, freePort, spawnDist, waitUntilReady } from '../support/processes';
import {
  RedisServer,
  Timed,
  checkoutRecords,
  inPool,
  pgClient,
  pgOrders,
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
 * Fault 5: SIGTERM while buyers are purchasing and the worker is writing orders. To be sure an order job is
 * in flight when the signal comes, the test holds a row lock on one item in PostgreSQL: the batch holding
 * that item's order blocks on it, and the signal is sent once PostgreSQL shows the worker waiting. The lock
 * is released a little later, as a slow write would finish. In-flight requests must be answered, the active
 * jobs must complete (not be abandoned to the stalled-job check), the process must exit 0 within
 * SHUTDOWN_GRACE_MS, and a new process must write every acknowledged purchase, exactly once.
 */

const GRACE_MS = 10_000;
const BUYERS = 1500;
const SOCKETS = 100;
const HOLD_AFTER_SIGNAL_MS = 1_500;
const LOCKED_BUYER = 150;
const LATE_BUYERS = 200;

jest.setTimeout(120_000);

let redisServer: RedisServer;
let redis: Redis;
let databaseUrl: string;
let pg: Client;
let locker: Client | undefined;
let api: NodeProcess | undefined;
let next: NodeProcess | undefined;

beforeAll(async () => {
  ({ redisServer, redis, pg, databaseUrl } = await openFaultStores());
}, 120_000);

afterAll(async () => {
  await locker?.end().catch(() => undefined);
  await Promise.all([api?.kill(), next?.kill()]);
  await closeFaultStores({ redis, pg });
});

interface Buyer {
  readonly user: string;
  readonly item: number;
  code?: string;
  purchase?: Timed;
}

it('SIGTERM under load: in-flight requests answered, active jobs completed, exit 0 within the grace, nothing lost', async () => {
  const urls = { REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl };
  const { sale, items } = await prepareSaleOn(urls, { itemsTotal: BUYERS });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...urls, LOG_LEVEL: 'log', RECONCILE_INTERVAL_MS: '0', SHUTDOWN_GRACE_MS: String(GRACE_MS), ORDER_BATCH_SIZE: '25' };
  api = spawnDist('main.js', { ...env, PORT: String(port) });
  await waitUntilReady(url, api);

  const buyers: Buyer[] = items.map((item, i) => ({ user: `term-${i}`, item }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  await inPool(buyers, SOCKETS, async (b) => {
    const c = await timedRequest(agent, 'POST', `${url}/checkout?user_id=${b.user}&id=${b.item}`);
    if (c.status !== 200) throw new Error(`checkout ${b.user}: ${c.status ?? c.error}`);
    b.code = c.body.code;
  });

  // Hold one item's row: the order batch that sells it will wait on the lock.
  const lockedItem = buyers[LOCKED_BUYER]!.item;
  locker = await pgClient(databaseUrl);
  await locker.query('BEGIN');
  await locker.query('SELECT id FROM items WHERE id = $1 FOR UPDATE', [lockedItem]);

  // Purchases stream in; SIGTERM as soon as a worker transaction waits on the lock.
  let signalledAt = 0;
  let activeAtSignal: string[] = [];
  let sentAfterSignal = 0;
  // The last buyers hold back until the signal, so requests really are arriving while the process stops
  // (on a quiet machine the whole storm could otherwise be over before the worker meets the lock).
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  const lateBuyers = new Set(buyers.slice(-LATE_BUYERS));
  const watcher = (async () => {
    const seen = await waitFor(
      async () =>
        (
          await pg.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows[0]!.n,
      (n) => n > 0,
      30_000,
      10,
    );
    activeAtSignal = await redis.lrange('{flashsale}:orders:active', 0, -1);
    signalledAt = Date.now();
    api!.child.kill('SIGTERM');
    signalled();
    return seen.ok;
  })();
  const storm = inPool(buyers, SOCKETS, async (b) => {
    if (lateBuyers.has(b)) await signal;
    if (signalledAt) sentAfterSignal++;
    b.purchase = await timedRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(b.code!)}`, 20_000);
  });
  const sawBlockedWorker = await watcher;
  expect(sawBlockedWorker).toBe(true);

  // The slow write finishes a little after the signal.
  await new Promise((r) => setTimeout(r, HOLD_AFTER_SIGNAL_MS));
  const releasedAt = Date.now();
  await locker.query('COMMIT');
  await storm;
  agent.destroy();

  const exit = await api.exitWithin(GRACE_MS + 5_000);
  const exitMs = Date.now() - signalledAt;
  expect({ exit, log: exit?.code === 0 ? '' : tail(api.output) }).toEqual({ exit: { code: 0, signal: null }, log: '' });
  expect(exitMs).toBeLessThan(GRACE_MS);
  // It waited for the job held by the lock rather than abandoning it.
  expect(exitMs).toBeGreaterThanOrEqual(HOLD_AFTER_SIGNAL_MS);

  // The jobs active at the signal, including the one that waited on the lock, completed; none is left active.
  const jobs = await Promise.all(
    activeAtSignal.map(async (id): Promise<Record<string, string>> => ({ id, ...(await redis.hgetall(`{flashsale}:orders:${id}`)) })),
  );
  const blocked = jobs.find((j) =>
    (JSON.parse(j.data ?? '{"orders":[]}').orders as { lines: number[][] }[]).some((o) => o.lines.some(([i]) => i === lockedItem)),
  );
  expect(blocked).toBeDefined();
  expect(Number(blocked!.finishedOn)).toBeGreaterThanOrEqual(releasedAt);
  const completed = await Promise.all(activeAtSignal.map((id) => redis.zscore('{flashsale}:orders:completed', id)));
  expect(completed.filter((s) => s === null)).toEqual([]);
  const leftBehind = await queueState(redis);
  expect(leftBehind.active).toBe(0);
  const outboxLeft = await redis.xlen(`{sale:${sale.id}}:outbox`);

  // In-flight requests were answered; every answer is a result or a clean 503; a request that got no answer
  // was not carried out.
  expect(sentAfterSignal).toBeGreaterThan(0);
  const answered = buyers.filter((b) => b.purchase?.status !== undefined);
  expect(answered.filter((b) => b.purchase!.status !== 200 && b.purchase!.status !== 503).map((b) => b.purchase!.body)).toEqual([]);
  const acknowledged = answered.filter((b) => b.purchase!.status === 200);
  for (const b of acknowledged) expect(b.purchase!.body.purchased).toEqual([b.item]);
  const inFlightAnswered = acknowledged.filter((b) => b.purchase!.sentAt <= signalledAt && b.purchase!.at > signalledAt).length;
  expect(inFlightAnswered).toBeGreaterThan(0);
  const records = await checkoutRecords(redis, sale.id);
  const unanswered = buyers.filter((b) => b.purchase?.status !== 200);
  expect(
    unanswered.filter((b) => records.get(b.code!)?.s === 'spent').map((b) => [b.user, b.purchase?.status ?? b.purchase?.error]),
  ).toEqual([]);

  // A new process writes what the first left in the outbox and the queue: orders == acknowledged, once each.
  const restartAt = Date.now();
  const port2 = await freePort();
  next = spawnDist('main.js', { ...env, PORT: String(port2) });
  const drained = await waitFor(
    async () => ({ orders: await pgOrders(pg, sale.id), q: await queueState(redis), outbox: await redis.xlen(`{sale:${sale.id}}:outbox`) }),
    (s) => s.orders.size >= acknowledged.length && s.outbox === 0 && s.q.wait + s.q.active + s.q.delayed + s.q.prioritized === 0,
    60_000,
    100,
  );
  if (!drained.ok)
    throw new Error(
      `not drained: ${drained.value.orders.size}/${acknowledged.length} ${JSON.stringify(drained.value.q)}\n${tail(next.output)}`,
    );
  const orders = drained.value.orders;
  expect([...orders.keys()].sort()).toEqual(acknowledged.map((b) => b.purchase!.body.orderId as string).sort());
  for (const b of acknowledged) expect(orders.get(b.purchase!.body.orderId)!.items).toEqual([b.item]);
  expect(await redisPgDisagreements(redis, pg, sale.id)).toEqual([]);
  expect(drained.value.q.failed).toBe(0);

  const lost = buyers.filter((b) => b.purchase && b.purchase.status === undefined);
  const errors: Record<string, number> = {};
  for (const b of lost) errors[b.purchase!.error!] = (errors[b.purchase!.error!] ?? 0) + 1;
  reportFault('sigterm-under-load', {
    graceMs: GRACE_MS,
    requestsSent: buyers.filter((b) => b.purchase).length,
    sentAfterSignal,
    acknowledged: acknowledged.length,
    inFlightAtSignalAndAnswered: inFlightAnswered,
    acknowledgedAfterSignal: acknowledged.filter((b) => b.purchase!.at > signalledAt).length,
    answered503: answered.filter((b) => b.purchase!.status === 503).length,
    connectionErrors: lost.length,
    connectionErrorsByCode: errors,
    jobsActiveAtSignal: activeAtSignal.length,
    jobsActiveAtSignalCompleted: completed.filter((s) => s !== null).length,
    lockedJobFinishedAfterReleaseMs: Number(blocked!.finishedOn) - releasedAt,
    exitCode: exit!.code,
    exitAfterSignalMs: exitMs,
    leftForNextProcess: { outbox: outboxLeft, waiting: leftBehind.wait + leftBehind.delayed, active: leftBehind.active },
    ordersWritten: orders.size,
    restartToAllWrittenMs: drained.at - restartAt,
  });
});
