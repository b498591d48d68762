import http from 'node:http';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { Client } from 'pg';
import { RedisClusterFleet } from '../../scripts/fleet/redis-fleet';
import { AppFleet, clusterClient, redisEnv, startAppFleet } from '../support/fleet';
import {
  inPool,
  pgClient,
  pgOrders,
  redisPgDisagreements,
  reportFault,
  scratchDatabase,
  stopFaultDependencies,
  timedRequest,
  waitFor,
} from '../support/faults';
import { buildDist, killAll } from '../support/processes';
import { SseClient } from '../support/sse';

/*
 * The fleet: three API instances (WORKER_ENABLED=false) and one order worker behind HAProxy, on a Redis
 * Cluster of three primaries with a replica each, every instance running the scheduler. Everything the engine
 * promises on one process must hold across the fleet: no item sold twice, limits per user, one result per
 * code, rate limits shared by every instance, live events on every instance's pages, one sale per window.
 */

jest.setTimeout(180_000);

const LIMIT = 3;
const ITEMS = 600;
/** The race is for the first 300 items; the other tests take theirs from the rest. */
const RACED = 300;

let redis: RedisClusterFleet;
let fleet: AppFleet;
let pg: Client;
let state: Cluster;
let saleId: number;
let items: number[];
const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });

beforeAll(async () => {
  buildDist();
  const [cluster, databaseUrl] = await Promise.all([RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 1 }), scratchDatabase()]);
  redis = cluster;
  pg = await pgClient(databaseUrl);
  state = clusterClient(redis);
  fleet = await startAppFleet({
    ...redisEnv(redis),
    DATABASE_URL: databaseUrl,
    // The recurring sale, made by the instances themselves: one week long, so the test never meets its edge.
    SALE_SCHEDULER_ENABLED: 'true',
    SALE_DURATION_SECONDS: String(7 * 24 * 3600),
    SALE_ITEMS: String(ITEMS),
    SALE_CAP: String(ITEMS),
    SALE_PER_USER_LIMIT: String(LIMIT),
    RATE_LIMIT: 'on',
    RATE_LIMIT_BUY_IP: '100000/1m',
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_BUY_USER: '40/1m',
    RATE_LIMIT_READ_IP: 'off',
    RATE_LIMIT_EVENTS_IP: 'off',
    RECONCILE_INTERVAL_MS: '0',
  });
  const active = await waitFor(
    () => get('/sales/active'),
    (r) => r.status === 200,
    20_000,
  );
  saleId = active.value.body.id;
  const page = await get(`/sales/${saleId}/items?limit=1000`);
  items = page.body.items.map((i: { id: number }) => i.id);
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  await killAll();
  state?.disconnect();
  await pg?.end().catch(() => undefined);
  await redis?.stop();
  await stopFaultDependencies();
});

const get = (path: string) => timedRequest(agent, 'GET', `${fleet.proxy.url}${path}`);
const post = (path: string) => timedRequest(agent, 'POST', `${fleet.proxy.url}${path}`);
const checkout = (user: string, item: number) => post(`/checkout?user_id=${user}&id=${item}`);
const purchase = (code: string) => post(`/purchase?code=${encodeURIComponent(code)}`);

it('made one sale for the window, though three instances ran the scheduler, and loaded it once', async () => {
  const { rows } = await pg.query('SELECT id FROM sales');
  // The current window's sale and the next one: one each.
  expect(rows).toHaveLength(2);
  expect(await state.hget(`{sale:${saleId}}:meta`, 'itemsTotal')).toBe(String(ITEMS));
  expect(await state.hlen(`{sale:${saleId}}:stock`)).toBe(ITEMS);
  expect(items).toHaveLength(ITEMS);
});

it(`sells no item twice when 600 buyers race for ${RACED} items through every instance`, async () => {
  const buyers = Array.from({ length: 600 }, (_, i) => `racer-${i}`);
  const outcomes = await inPool(buyers, 100, async (user, i) => {
    const wanted = [items[(i * 7) % RACED]!, items[(i * 13 + 1) % RACED]!];
    let code: string | undefined;
    for (const item of wanted) {
      const r = await checkout(user, item);
      expect([200, 409]).toContain(r.status);
      if (r.status === 200) code = r.body.code;
    }
    if (!code) return [];
    const r = await purchase(code);
    expect(r.status).toBe(200);
    return r.body.purchased as number[];
  });
  const sold = outcomes.flat();
  expect(sold.length).toBeGreaterThan(0);
  expect(new Set(sold).size).toBe(sold.length);
  const orders = await waitFor(
    () => pgOrders(pg, saleId),
    (o) => o.size === outcomes.filter((p) => p.length > 0).length,
    60_000,
  );
  expect(orders.ok).toBe(true);
  expect(await redisPgDisagreements(state, pg, saleId)).toEqual([]);
  reportFault('fleet-cluster-oversell-race', { instances: 3, buyers: buyers.length, itemsSold: sold.length, orders: orders.value.size });
});

it("holds one user's limit when their 30 checkouts arrive at once, spread over the instances", async () => {
  const free = await freeItems(30);
  const results = await Promise.all(free.map((item) => checkout('greedy', item)));
  const accepted = results.filter((r) => r.status === 200);
  expect(accepted).toHaveLength(LIMIT);
  expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'user_limit_reached')).toBe(true);
  expect(new Set(results.map((r) => r.headers?.['x-served-by'])).size).toBe(3);
  const bought = await purchase(accepted[0]!.body.code);
  expect(bought.body.purchased).toHaveLength(LIMIT);
});

it('answers 50 concurrent purchases of one code with one result, and one order', async () => {
  const [item] = await freeItems(1);
  const code = (await checkout('once', item!)).body.code as string;
  const results = await Promise.all(Array.from({ length: 50 }, () => purchase(code)));
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
  expect(results[0]!.body.purchased).toEqual([item]);
  const orderId = results[0]!.body.orderId as string;
  await waitFor(
    () => pgOrders(pg, saleId),
    (o) => o.has(orderId),
    30_000,
  );
  const { rows } = await pg.query('SELECT count(*)::int AS n FROM orders WHERE checkout_code = $1', [code]);
  expect(rows[0].n).toBe(1);
});

it('counts a rate limit once for the whole fleet, whichever instance a request reaches', async () => {
  const [item] = await freeItems(1);
  // The client's IP window and the user's window have hash tags of their own: on a Cluster they may sit on
  // different shards, and a request the user's window refuses must not stay counted in the IP's.
  const ipWindow = '{rl:buy:ip:127.0.0.1}';
  expect(calculateSlot(ipWindow)).not.toBe(calculateSlot('{rl:buy:user:limited}'));
  const ipCountedBefore = await state.zcard(ipWindow);
  const results = await Promise.all(Array.from({ length: 60 }, () => checkout('limited', item!)));
  expect(results.filter((r) => r.status === 429)).toHaveLength(20);
  expect(results.filter((r) => r.status === 200)).toHaveLength(40);
  expect(new Set(results.map((r) => r.headers?.['x-served-by'])).size).toBe(3);
  expect((await state.zcard(ipWindow)) - ipCountedBefore).toBe(40);
});

it('sends live events to pages on every instance, whichever instance sold', async () => {
  const pages = await Promise.all(fleet.apiUrls.map((url) => SseClient.open(`${url}/sales/${saleId}/events`)));
  try {
    const [item] = await freeItems(1);
    const code = (await checkout('watcher', item!)).body.code as string;
    expect((await purchase(code)).body.purchased).toEqual([item]);
    for (const page of pages) {
      await page.until(() => page.of('stock').some((e) => (e.data.soldOut as number[]).includes(item!)), 5_000);
      expect(page.of('stock').some((e) => (e.data.soldOut as number[]).includes(item!))).toBe(true);
    }
  } finally {
    for (const page of pages) page.close();
  }
});

/** Items nobody bought yet, read from the sale's stock. */
async function freeItems(n: number): Promise<number[]> {
  const left = await state.hgetall(`{sale:${saleId}}:stock`);
  const free = Object.entries(left)
    .filter(([, units]) => Number(units) > 0)
    .map(([id]) => Number(id));
  // Items no earlier test put in a checkout: the last ones by id.
  return free.sort((a, b) => b - a).slice(0, n);
}
