import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { readScripts } from '../../src/infrastructure/redis/lua-scripts';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisReplicaConfirmation } from '../../src/infrastructure/redis/redis-replica-confirmation';
import { ROOT, buildDist, killAll } from '../support/processes';
import { acknowledgedVersusOrders, answersBy, buyersFor, checkOut, itemsInTwoOrders, purchaseWithRetries } from '../support/storm';
import { SseClient } from '../support/sse';

/*
 * The fleet: three API instances (WORKER_ENABLED=false) and one order worker behind HAProxy, on a Redis
 * Cluster of three primaries with two replicas each, every instance running the scheduler. Everything the
 * engine promises on one process must hold across the fleet: no item sold twice, limits per user, one result
 * per code, rate limits shared by every instance, live events on every instance's pages, one sale per window.
 * Then the machinery on the Cluster: dead letters and queue:retry, the reconciler, the worker through a
 * failover of the queue's primary, and an API instance killed in a storm.
 */

jest.setTimeout(180_000);

const LIMIT = 3;
const ITEMS = 1000;
/** The race is for the first 300 items; the other tests take theirs from the rest. */
const RACED = 300;

let redis: RedisClusterFleet;
let fleet: AppFleet;
let pg: Client;
let state: Cluster;
let saleId: number;
let items: number[];
let env: Record<string, string>;
const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });

beforeAll(async () => {
  buildDist();
  const [cluster, databaseUrl] = await Promise.all([RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 2 }), scratchDatabase()]);
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
    ORDER_MAX_ATTEMPTS: '2',
    ORDER_RETRY_BACKOFF_MS: '100',
    LOG_LEVEL: 'warn',
  });
  env = { ...redisEnv(redis), DATABASE_URL: databaseUrl };
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

it('reports in readiness the primary that holds the open sale, and its replicas in sync', async () => {
  const primary = await redis.primaryForSlot(calculateSlot(`{sale:${saleId}}:meta`));
  for (const url of fleet.apiUrls) {
    const ready = await timedRequest(agent, 'GET', `${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks.redis).toMatchObject({
      status: 'up',
      replication: { topology: 'cluster', primary: primary.address, replicasInSync: 2, purchaseDurability: 'replica' },
    });
  }
});

it(`sells no item twice when 600 buyers race for ${RACED} items through every instance`, async () => {
  const buyers = Array.from({ length: 600 }, (_, i) => `racer-${i}`);
  // A busy box may answer 503 now and then (a Redis call over its time bound): buyers retry, as the storefront does.
  const withRetry = async (send: () => ReturnType<typeof post>) => {
    for (;;) {
      const r = await send();
      if (r.status !== 503) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const outcomes = await inPool(buyers, 100, async (user, i) => {
    const wanted = [items[(i * 7) % RACED]!, items[(i * 13 + 1) % RACED]!];
    let code: string | undefined;
    for (const item of wanted) {
      const r = await withRetry(() => checkout(user, item));
      expect([200, 409]).toContain(r.status);
      if (r.status === 200) code = r.body.code;
    }
    if (!code) return [];
    const r = await withRetry(() => purchase(code!));
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

it("runs the batched check for purchases after a sale's end on the Cluster: both keys in the sale's slot", async () => {
  // The instances use purchase-ended.lua only once a sale has ended, which this week-long sale never does
  // here: run it directly, on the open sale, for a spent, an open and an unknown code, and someone else’s.
  const [a, b] = await freeItems(2);
  const spent = (await checkout('ended-a', a!)).body.code as string;
  expect((await purchase(spent)).status).toBe(200);
  const open = (await checkout('ended-b', b!)).body.code as string;
  const source = readScripts().find((f) => f.name === 'purchase-ended')!.source;
  const keys = [`{sale:${saleId}}:meta`, `{sale:${saleId}}:checkouts`];
  const reply = await state.eval(
    source,
    keys.length,
    ...keys,
    spent,
    '',
    open,
    '',
    `${saleId}-AAAAAAAAAAAAAAAAAAAAAA`,
    '',
    open,
    'someone-else',
  );
  // Not ended on Redis's clock: the spent and the open code are left to purchase.lua; the unknown code and
  // someone else's are not found.
  expect(reply).toEqual([0, 0, 1, 1]);
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
  // A request refused by the user's window reports the IP window as it left it: without that request.
  const countedNow = await state.zcard(ipWindow);
  const refused = await checkout('limited', item!);
  expect(refused.status).toBe(429);
  expect(refused.headers?.['ratelimit']).toContain(`"buy-ip";r=${100_000 - countedNow};`);
  expect(await state.zcard(ipWindow)).toBe(countedNow);
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

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cli ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const ordersOf = async (code: string) =>
  (await pg.query<{ id: string }>('SELECT id FROM orders WHERE checkout_code = $1', [code])).rows.map((r) => r.id);

it('parks an order PostgreSQL refuses as a dead letter, lists it and replays it with the CLI, on the Cluster', async () => {
  const missingItem = 2_000_000_000;
  const orderId = randomUUID();
  const code = `${saleId}-poisoned${orderId.replace(/-/g, '').slice(0, 16)}`;
  // A purchase of an item PostgreSQL does not have, as the purchase script would have appended it.
  await state.xadd(
    `{sale:${saleId}}:outbox`,
    '*',
    'o',
    orderId,
    'c',
    code,
    'u',
    'poisoned',
    'l',
    `${missingItem}:1`,
    't',
    String(Date.now()),
  );
  const listed = await waitFor(
    async () => cli('queue:failed') as { orderIds: string[] }[],
    (l) => l.some((d) => d.orderIds.includes(orderId)),
    30_000,
    300,
  );
  expect(listed.ok).toBe(true);

  await pg.query(`INSERT INTO items (id, sale_id, name) VALUES ($1, $2, 'restored item')`, [missingItem, saleId]);
  expect(cli('queue:retry', '--all')).toEqual({ retried: 1 });
  expect(
    (
      await waitFor(
        () => ordersOf(code),
        (ids) => ids.length === 1,
        30_000,
      )
    ).value,
  ).toEqual([orderId]);
  // It was made up for this test (no purchase behind it): take it out again, so Redis and PostgreSQL agree.
  await pg.query('DELETE FROM orders WHERE id = $1', [orderId]);
  await pg.query('DELETE FROM items WHERE id = $1', [missingItem]);
});

it('re-queues an acknowledged purchase missing from PostgreSQL when the reconciler runs, on the Cluster', async () => {
  const [item] = await freeItems(1);
  const code = (await checkout('reconciled', item!)).body.code as string;
  const orderId = (await purchase(code)).body.orderId as string;
  await waitFor(
    () => ordersOf(code),
    (ids) => ids.length === 1,
    30_000,
  );
  // The order goes missing in PostgreSQL (say, a restore from an older backup).
  await pg.query('DELETE FROM order_items WHERE order_id = $1', [orderId]);
  await pg.query('DELETE FROM orders WHERE id = $1', [orderId]);
  await pg.query('UPDATE items SET sold = false, sold_count = 0 WHERE id = $1', [item]);

  const [report] = cli('orders:reconcile', '--sale', String(saleId), '--grace-ms', '0', '--force') as { requeued: number }[];

  expect(report!.requeued).toBe(1);
  expect(
    (
      await waitFor(
        () => ordersOf(code),
        (ids) => ids.length === 1,
        30_000,
      )
    ).value,
  ).toEqual([orderId]);
});

it('confirms on a replica as soon as a process starts, before its connection has read the slot map', async () => {
  // The CLI's orders:reconcile confirms at once after starting; it once failed with "no known primary".
  const config = loadConfig({ ...process.env, ...env, PURCHASE_DURABILITY: 'replica' });
  const connections = new RedisConnections(config);
  const confirmation = new RedisReplicaConfirmation(connections, config);
  try {
    await expect(confirmation.confirmKey(`{sale:${saleId}}:fence`)).resolves.toBeUndefined();
  } finally {
    await confirmation.onApplicationShutdown();
    await connections.onApplicationShutdown();
  }
});

it("keeps writing orders through a failover of the queue's primary, with the same worker process", async () => {
  const workerPid = fleet.worker!.child.pid;
  const victim = await redis.primaryForSlot(calculateSlot('{flashsale}'));
  await victim.kill();
  // The queue's shard fails over to one of its replicas; the Cluster is whole again, one replica short.
  await redis.waitHealthy(3, 5, 30_000);
  const promoted = await redis.primaryForSlot(calculateSlot('{flashsale}'));
  expect(promoted.port).not.toBe(victim.port);

  const free = await freeItems(20);
  const bought: { code: string; orderId: string }[] = [];
  for (const [i, item] of free.entries()) {
    const code = (await checkout(`after-failover-${i}`, item)).body.code as string;
    const r = await waitFor(
      () => purchase(code),
      (p) => p.status === 200,
      20_000,
      200,
    );
    bought.push({ code, orderId: r.value.body.orderId });
  }
  for (const b of bought)
    expect(
      (
        await waitFor(
          () => ordersOf(b.code),
          (ids) => ids.length === 1,
          30_000,
        )
      ).value,
    ).toEqual([b.orderId]);
  expect(fleet.worker!.child.exitCode).toBeNull();
  expect(fleet.worker!.child.pid).toBe(workerPid);
  // The old primary comes back as a replica of the new one, as a supervisor would restart it.
  await victim.restart();
  await redis.waitHealthy(3, 6, 30_000);
});

it('loses nothing when an API instance is killed in a storm: buyers who retry succeed through the others', async () => {
  const buyers = buyersFor('api-kill', await freeItems(400), 400);
  const agentForStorm = new http.Agent({ keepAlive: true, maxSockets: 100 });
  await checkOut(fleet.proxy.url, agentForStorm, buyers);
  let acks = 0;
  let killedAt = 0;
  const victim = fleet.apis[1]!;
  await purchaseWithRetries(fleet.proxy.url, agentForStorm, buyers, {
    width: 100,
    deadline: Date.now() + 60_000,
    onAnswer: (a) => {
      if (a.status === 200 && ++acks === 100) {
        killedAt = Date.now();
        victim.child.kill('SIGKILL');
      }
    },
  });
  agentForStorm.destroy();
  expect(killedAt).toBeGreaterThan(0);
  expect(buyers.filter((b) => !b.result).map((b) => b.user)).toEqual([]);
  const acknowledged = buyers.filter((b) => b.result?.orderId);
  await waitFor(
    () => pgOrders(pg, saleId),
    (o) => acknowledged.every((b) => o.has(b.result!.orderId!)),
    60_000,
  );
  expect(await acknowledgedVersusOrders(pg, saleId, buyers)).toEqual([]);
  expect(await itemsInTwoOrders(pg, saleId)).toBe(0);
  expect(await redisPgDisagreements(state, pg, saleId)).toEqual([]);
  reportFault('fleet-api-sigkill-behind-haproxy', {
    instances: 3,
    buyers: buyers.length,
    answersAfterKill: answersBy(buyers, killedAt),
    retriedBuyers: buyers.filter((b) => b.attempts.length > 1).length,
    acknowledgedWithItems: acknowledged.length,
    lost: 0,
  });
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
