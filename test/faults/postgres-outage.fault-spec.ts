import http from 'node:http';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { NodeProcess, buildDist, freePort, spawnDist, waitUntilReady } from '../support/processes';
import {
  PgServer,
  RedisServer,
  Timed,
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
} from '../support/faults';

/*
 * Fault 2: PostgreSQL (an instance of the test's own) is stopped for 30 seconds during a sale while buyers
 * keep coming. Checkout and purchase must keep answering from Redis, readiness must say PostgreSQL is down
 * while it is, and once PostgreSQL is back every acknowledged purchase must be written exactly once.
 * The reconciler is off, so this is the outbox, the queue and the worker alone.
 */

const OUTAGE_MS = 30_000;
const BUYERS_PER_SECOND = 20;
const BEFORE_MS = 2_000;
const AFTER_MS = 3_000;
const WRITE_BOUND_MS = 60_000;

jest.setTimeout(180_000);

let pgServer: PgServer & { url: string };
let redisServer: RedisServer;
let redis: Redis;
let api: NodeProcess | undefined;
let pg: Client | undefined;

beforeAll(async () => {
  buildDist();
  [pgServer, redisServer] = await Promise.all([PgServer.start(), RedisServer.start()]);
  redis = redisServer.client();
}, 120_000);

afterAll(async () => {
  await api?.kill();
  await closeFaultStores({ redis, pg });
});

interface Flow {
  readonly user: string;
  readonly item: number;
  checkout?: Timed;
  purchase?: Timed;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when every one of `orderIds` is in PostgreSQL (or after WRITE_BOUND_MS, not ok). */
async function writtenBacklog(orderIds: string[], url: string): Promise<{ ok: boolean; at: number; count: number }> {
  const c = await pgClient(url);
  try {
    const r = await waitFor(
      async () => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[])', [orderIds])).rows[0]!.n,
      (n) => n === orderIds.length,
      WRITE_BOUND_MS,
      50,
    );
    return { ok: r.ok, at: r.at, count: orderIds.length };
  } finally {
    await c.end();
  }
}

it('PostgreSQL down for 30 s: checkout and purchase keep answering, readiness says so, nothing acknowledged is lost', async () => {
  const urls = { REDIS_URL: redisServer.url, DATABASE_URL: pgServer.url };
  const itemsTotal = Math.ceil(((BEFORE_MS + OUTAGE_MS + AFTER_MS) / 1000) * BUYERS_PER_SECOND * 1.5) + 100;
  const { sale, items } = await prepareSaleOn(urls, { itemsTotal });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  api = spawnDist('main.js', { ...urls, PORT: String(port), LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MS: '0' });
  await waitUntilReady(url, api);

  // A steady stream of new buyers, each checking out one item of its own and buying it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const flows: Flow[] = [];
  const running: Promise<void>[] = [];
  const stream = setInterval(() => {
    const i = flows.length;
    if (i >= items.length) return;
    const flow: Flow = { user: `pg-outage-${i}`, item: items[i]! };
    flows.push(flow);
    running.push(
      (async () => {
        flow.checkout = await timedRequest(agent, 'POST', `${url}/checkout?user_id=${flow.user}&id=${flow.item}`, 10_000);
        if (flow.checkout.status !== 200) return;
        flow.purchase = await timedRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(flow.checkout.body.code)}`, 10_000);
      })(),
    );
  }, 1000 / BUYERS_PER_SECOND);

  // Readiness, polled throughout.
  const polls: Timed[] = [];
  /** GET /health/serving, what a load balancer checks: it must keep the instance in while PostgreSQL is away. */
  const servingPolls: Timed[] = [];
  let polling = true;
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const poller = (async () => {
    while (polling) {
      polls.push(await timedRequest(pollAgent, 'GET', `${url}/health/ready`, 5_000));
      servingPolls.push(await timedRequest(pollAgent, 'GET', `${url}/health/serving`, 5_000));
      await sleep(200);
    }
  })();

  let stopAt = 0;
  let downAt = 0;
  let restartAt = 0;
  let upAt = 0;
  let backlog: Promise<{ ok: boolean; at: number; count: number }> | undefined;
  try {
    await sleep(BEFORE_MS);
    stopAt = Date.now();
    await pgServer.stop();
    downAt = Date.now();
    await sleep(OUTAGE_MS);
    restartAt = Date.now();
    await pgServer.start();
    upAt = Date.now();
    backlog = writtenBacklog(
      flows.filter((f) => f.purchase?.status === 200).map((f) => f.purchase!.body.orderId as string),
      pgServer.url,
    );
    await sleep(AFTER_MS);
  } finally {
    clearInterval(stream);
  }
  await Promise.all(running);
  agent.destroy();

  // Ready again, by itself.
  const readyAgain = await waitFor(
    async () => polls.find((p) => p.sentAt >= upAt && p.status === 200),
    (p) => p !== undefined,
    30_000,
    100,
  );
  polling = false;
  await poller;
  pollAgent.destroy();
  const apiAlive = api.child.exitCode === null && api.child.signalCode === null;

  // Every buyer got its answer from Redis, during the outage as before and after it.
  const failures = flows
    .filter((f) => f.checkout?.status !== 200 || f.purchase?.status !== 200 || f.purchase.body.orderId === null)
    .map((f) => ({
      user: f.user,
      checkout: f.checkout?.status ?? f.checkout?.error,
      purchase: f.purchase?.status ?? f.purchase?.error,
      body: f.purchase?.body ?? f.checkout?.body,
    }));
  expect(failures).toEqual([]);
  for (const f of flows) expect(f.purchase!.body.purchased).toEqual([f.item]);
  const acknowledged = flows.map((f) => ({ orderId: f.purchase!.body.orderId as string, item: f.item, at: f.purchase!.at }));
  const duringOutage = acknowledged.filter((a) => a.at >= downAt && a.at <= restartAt);
  expect(duringOutage.length).toBeGreaterThanOrEqual(((OUTAGE_MS / 1000) * BUYERS_PER_SECOND) / 2);

  // Readiness: 503 problem+json naming postgres for as long as it was down, 200 once it was back.
  const outagePolls = polls.filter((p) => p.sentAt >= downAt && p.at <= restartAt);
  expect(outagePolls.length).toBeGreaterThan(10);
  const wrongPolls = outagePolls
    .filter(
      (p) =>
        p.status !== 503 ||
        !/^application\/problem\+json/.test(String(p.headers?.['content-type'])) ||
        p.body?.code !== 'service_unavailable' ||
        !String(p.body?.detail).includes('postgres') ||
        p.body?.checks?.postgres?.status !== 'down' ||
        p.body?.checks?.redis?.status !== 'up',
    )
    .map((p) => ({ status: p.status ?? p.error, body: p.body }));
  expect(wrongPolls).toEqual([]);
  // Serving, all along: 200 (degraded, naming postgres down while it was).
  const outageServing = servingPolls.filter((p) => p.sentAt >= downAt && p.at <= restartAt);
  expect(outageServing.length).toBeGreaterThan(10);
  expect(servingPolls.filter((p) => p.status !== 200).map((p) => ({ status: p.status ?? p.error, body: p.body }))).toEqual([]);
  expect(outageServing.filter((p) => p.body?.status !== 'degraded' || p.body?.checks?.postgres?.status !== 'down')).toEqual([]);
  const before = polls.filter((p) => p.at < stopAt);
  expect(before.length).toBeGreaterThan(0);
  expect(before.filter((p) => p.status !== 200)).toEqual([]);
  expect(readyAgain.ok).toBe(true);
  expect(apiAlive).toBe(true);

  // Every acknowledged purchase is written once PostgreSQL is back: none lost, none twice, no dead letter.
  // The purchases acknowledged while PostgreSQL was away, all written: how long after it came back.
  const backlogDone = await backlog!;
  expect(backlogDone.ok).toBe(true);

  pg = await pgClient(pgServer.url);
  const written = await waitFor(
    async () => {
      const orders = await pgOrders(pg!, sale.id);
      const q = await queueState(redis);
      return { orders, q, outbox: await redis.xlen(`{sale:${sale.id}}:outbox`) };
    },
    (s) => s.orders.size >= acknowledged.length && s.outbox === 0 && s.q.wait + s.q.active + s.q.delayed + s.q.prioritized === 0,
    WRITE_BOUND_MS,
    100,
  );
  if (!written.ok) {
    throw new Error(
      `after ${WRITE_BOUND_MS} ms, ${written.value.orders.size} of ${acknowledged.length} orders written; queue ${JSON.stringify(
        written.value.q,
      )}, outbox ${written.value.outbox}\n${tail(api.output)}`,
    );
  }
  const orders = written.value.orders;
  const missing = acknowledged.filter((a) => orders.get(a.orderId)?.items.join(',') !== String(a.item)).map((a) => a.orderId);
  expect(missing).toEqual([]);
  expect(orders.size).toBe(acknowledged.length);
  const lines = (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM order_items')).rows[0]!.n;
  expect(lines).toBe(acknowledged.length);
  expect(written.value.q.failed).toBe(0);
  expect(await redisPgDisagreements(redis, pg, sale.id)).toEqual([]);
  expect(api.child.exitCode).toBeNull();

  const checkoutMs = flows.filter((f) => f.checkout!.sentAt >= downAt && f.checkout!.at <= restartAt).map((f) => f.checkout!.ms);
  const purchaseMs = flows.filter((f) => f.purchase!.sentAt >= downAt && f.purchase!.at <= restartAt).map((f) => f.purchase!.ms);
  reportFault('postgres-down-30s', {
    outageMs: restartAt - downAt,
    pgStopMs: downAt - stopAt,
    buyersPerSecond: BUYERS_PER_SECOND,
    purchasesAcknowledged: acknowledged.length,
    purchasesAcknowledgedDuringOutage: duringOutage.length,
    checkoutsAndPurchasesFailed: failures.length,
    maxCheckoutMsDuringOutage: Math.max(...checkoutMs),
    maxPurchaseMsDuringOutage: Math.max(...purchaseMs),
    readyPollsDuringOutage: outagePolls.length,
    ready503DuringOutage: outagePolls.filter((p) => p.status === 503).length,
    first503AfterStopMs: (polls.find((p) => p.sentAt >= downAt && p.status === 503)?.at ?? NaN) - downAt,
    servingPollsDuringOutage: outageServing.length,
    serving200DuringOutage: outageServing.filter((p) => p.status === 200).length,
    pgStartMs: upAt - restartAt,
    readyAgainAfterPgBackMs: readyAgain.value!.at - upAt,
    backlogAtPgBack: backlogDone.count,
    backlogWrittenAfterPgBackMs: backlogDone.at - upAt,
    ordersWritten: orders.size,
    duplicates: orders.size - new Set([...orders.values()].map((o) => o.code)).size,
    deadLetters: written.value.q.failed,
  });
});
