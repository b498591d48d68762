import http from 'node:http';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { NodeProcess, freePort, spawnDist, waitUntilReady } from '../support/processes';
import {
  RedisServer,
  Timed,
  checkoutRecords,
  inPool,
  ledgerOrders,
  pgOrderCount,
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
 * Fault 1: the API process (API + worker + relay in one process, as `npm start` runs it) is killed with
 * SIGKILL in the middle of a purchase storm. A fresh process must deliver every acknowledged purchase as
 * exactly one order, Redis and PostgreSQL must agree on what was sold, and a purchase whose answer was lost
 * must be either not done at all or a complete order.
 */

const USERS = 3000;
const ITEMS = 4000;
const SOCKETS = 200;
const KILL_AFTER_ACKS = 1000;
// An order batch that was active in the killed process is taken up again only once BullMQ declares it
// stalled (its lock expired, then a stalled check): the bound is the longest we wait; the time is reported.
const DRAIN_BOUND_MS = 90_000;

jest.setTimeout(180_000);

let redisServer: RedisServer;
let redis: Redis;
let pg: Client;
let databaseUrl: string;
let api: NodeProcess | undefined;
let restarted: NodeProcess | undefined;

beforeAll(async () => {
  ({ redisServer, redis, pg, databaseUrl } = await openFaultStores());
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.kill(), restarted?.kill()]);
  await closeFaultStores({ redis, pg });
});

interface Buyer {
  readonly user: string;
  readonly items: number[];
  code?: string;
  purchase?: Timed;
}

it('SIGKILL during a purchase storm: every acknowledged purchase becomes exactly one order, nothing half-done', async () => {
  const urls = { REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl };
  const { sale, items } = await prepareSaleOn(urls, { itemsTotal: ITEMS, saleCap: ITEMS, perUserLimit: 10 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  api = spawnDist('main.js', { ...urls, PORT: String(port), LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MS: '0' });
  await waitUntilReady(url, api);

  // Every user checks out one item, every other user a second one too (which another user may also want).
  const buyers: Buyer[] = Array.from({ length: USERS }, (_, u) => ({
    user: `storm-${u}`,
    items: u % 2 === 0 ? [items[u]!, items[(u * 7919 + 13) % ITEMS]!] : [items[u]!],
  }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  await inPool(buyers, SOCKETS, async (b) => {
    for (const item of b.items) {
      const c = await timedRequest(agent, 'POST', `${url}/checkout?user_id=${b.user}&id=${item}`);
      if (c.status !== 200) throw new Error(`checkout ${b.user} ${item}: ${c.status ?? c.error} ${JSON.stringify(c.body)}`);
      b.code = c.body.code;
    }
  });

  // The storm: every purchase at once over SOCKETS keep-alive connections; kill -9 after KILL_AFTER_ACKS answers.
  let acks = 0;
  let killedAt = 0;
  const stormStart = Date.now();
  await Promise.all(
    buyers.map(async (b) => {
      b.purchase = await timedRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(b.code!)}`);
      if (b.purchase.status === 200 && ++acks >= KILL_AFTER_ACKS && !killedAt) {
        killedAt = Date.now();
        api!.child.kill('SIGKILL');
      }
    }),
  );
  agent.destroy();
  const exit = await api.exitWithin(10_000);
  expect(killedAt).toBeGreaterThan(0);
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  const atKill = { queue: await queueState(redis), outbox: await redis.xlen(`{sale:${sale.id}}:outbox`) };

  // A fresh process takes over.
  const restartedAt = Date.now();
  const port2 = await freePort();
  const url2 = `http://127.0.0.1:${port2}`;
  restarted = spawnDist('main.js', { ...urls, PORT: String(port2), LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MS: '0' });
  await waitUntilReady(url2, restarted, 30_000);
  const readyMs = Date.now() - restartedAt;

  let allWrittenAt = 0;
  // Orders in PostgreSQL, every 5 s after the restart.
  const timeline: Record<number, number> = {};
  const drained = await waitFor(
    async () => {
      const expected = ledgerOrders(await checkoutRecords(redis, sale.id)).size;
      const written = await pgOrderCount(pg, sale.id);
      if (written >= expected && !allWrittenAt) allWrittenAt = Date.now();
      const second = Math.floor((Date.now() - restartedAt) / 5000) * 5;
      if (!(second in timeline)) timeline[second] = written;
      const q = await queueState(redis);
      return { expected, written, outbox: await redis.xlen(`{sale:${sale.id}}:outbox`), ...q };
    },
    (s) => s.written === s.expected && s.outbox === 0 && s.wait + s.active + s.delayed + s.prioritized === 0,
    DRAIN_BOUND_MS,
    100,
  );
  const drainedAt = drained.at;
  if (!drained.ok) throw new Error(`not drained within ${DRAIN_BOUND_MS} ms: ${JSON.stringify(drained.value)}\n${tail(restarted.output)}`);

  // What the clients saw.
  const answered = buyers.filter((b) => b.purchase!.status !== undefined);
  const lost = buyers.filter((b) => b.purchase!.status === undefined);
  const acknowledged = answered.filter((b) => b.purchase!.status === 200);
  const withItems = acknowledged.filter((b) => b.purchase!.body.orderId !== null);
  // Before the kill every answer is a result (never a 5xx); after it, no answer at all.
  expect(answered.filter((b) => b.purchase!.status !== 200).map((b) => [b.user, b.purchase!.status, b.purchase!.body])).toEqual([]);
  expect(lost.length).toBeGreaterThan(0);
  for (const b of lost) expect(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'socket hang up']).toContain(b.purchase!.error);

  const orders = await pgOrders(pg, sale.id);
  const byCode = new Map([...orders.values()].map((o) => [o.code, o]));

  // Every purchase acknowledged with items is exactly one order with exactly those items; one acknowledged
  // without items (all sold out) is no order.
  const wrong: string[] = [];
  const soldTo = new Map<number, string>();
  for (const b of acknowledged) {
    const body = b.purchase!.body;
    const order = byCode.get(b.code!);
    if (body.orderId === null) {
      if (order) wrong.push(`${b.user}: acknowledged with nothing bought, but order ${order.orderId} exists`);
      continue;
    }
    const purchased = [...(body.purchased as number[])].sort((x, y) => x - y);
    if (!order || order.orderId !== body.orderId || order.items.join(',') !== purchased.join(','))
      wrong.push(`${b.user}: acknowledged ${body.orderId} [${purchased}] but PostgreSQL has ${JSON.stringify(order)}`);
    for (const item of purchased) {
      if (soldTo.has(item)) wrong.push(`item ${item} acknowledged to ${soldTo.get(item)} and ${b.user}`);
      soldTo.set(item, b.user);
    }
  }
  expect(wrong).toEqual([]);

  // A purchase whose answer was lost was either not carried out at all (code not spent, no order) or is a
  // complete order: its code spent, its items bought and its order in PostgreSQL with those items.
  const records = await checkoutRecords(redis, sale.id);
  let lostButDone = 0;
  let lostNotDone = 0;
  const half: string[] = [];
  for (const b of lost) {
    const record = records.get(b.code!);
    const order = byCode.get(b.code!);
    if (record?.s === 'spent') {
      lostButDone++;
      const bought =
        record.r!.p === ''
          ? []
          : record
              .r!.p.split(',')
              .map(Number)
              .sort((x, y) => x - y);
      if (record.r!.o === '' ? order !== undefined : !order || order.orderId !== record.r!.o || order.items.join(',') !== bought.join(','))
        half.push(`${b.user}: spent ${JSON.stringify(record.r)} but PostgreSQL has ${JSON.stringify(order)}`);
    } else {
      lostNotDone++;
      if (order) half.push(`${b.user}: code not spent but order ${order.orderId} exists`);
      if (record?.s !== 'open' && record?.s !== undefined) half.push(`${b.user}: checkout record in state ${record?.s}`);
    }
  }
  expect(half).toEqual([]);

  // Redis and PostgreSQL agree on what was sold, item by item, and on the count.
  expect(await redisPgDisagreements(redis, pg, sale.id)).toEqual([]);
  const duplicates = (
    await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT oi.item_id FROM order_items oi JOIN orders o ON o.id = oi.order_id
        WHERE o.sale_id = $1 GROUP BY oi.item_id HAVING count(*) > 1) d`,
      [sale.id],
    )
  ).rows[0]!.n;
  expect(duplicates).toBe(0);
  const deadLetters = (await queueState(redis)).failed;
  expect(deadLetters).toBe(0);
  expect(restarted.child.exitCode).toBeNull();

  const errors: Record<string, number> = {};
  for (const b of lost) errors[b.purchase!.error!] = (errors[b.purchase!.error!] ?? 0) + 1;
  reportFault('api-sigkill-during-purchase-storm', {
    users: USERS,
    sockets: SOCKETS,
    requestsSent: buyers.length,
    acknowledged: acknowledged.length,
    acknowledgedWithItems: withItems.length,
    connectionErrors: lost.length,
    connectionErrorsByCode: errors,
    lostButDone,
    lostNotDone,
    killedAfterMs: killedAt - stormStart,
    jobsActiveAtKill: atKill.queue.active,
    jobsWaitingAtKill: atKill.queue.wait + atKill.queue.delayed,
    outboxAtKill: atKill.outbox,
    ordersWritten: orders.size,
    duplicates,
    deadLetters,
    restartToReadyMs: readyMs,
    restartToAllOrdersWrittenMs: allWrittenAt - restartedAt,
    restartToQueueDrainedMs: drainedAt - restartedAt,
    ordersWrittenBySecondAfterRestart: timeline,
  });
});
