import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { NodeProcess, ROOT, freePort, spawnDist, waitUntilReady } from '../support/processes';
import {
  RedisServer,
  pgOrders,
  prepareSaleOn,
  queueState,
  reportFault,
  tail,
  timedRequest,
  waitFor,
  closeFaultStores,
  openFaultStores,
} from '../support/faults';

/*
 * Fault 4: an order PostgreSQL keeps refusing, injected where real orders come from: an entry appended to
 * the sale's outbox stream (fields of scripts/lua/purchase.lua), so it goes through the relay, the queue and
 * the worker of a real process. It must be retried with backoff, then parked as a dead letter that the
 * admin CLI lists and replays, and it must never hold back the purchases made after it.
 * Two kinds: an item PostgreSQL does not have (fixable: add the item, replay), and a unit another order
 * already holds (never writable: it stays a dead letter, and the item stays sold once).
 */

const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 1_500;
/** Sum of the pauses between attempts (exponential: BACKOFF, 2 BACKOFF, ...). */
const BACKOFF_TOTAL_MS = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => BACKOFF_MS * 2 ** i).reduce((a, b) => a + b, 0);
const MISSING_ITEM = 2_000_000_000;
const LATER_BUYERS = 5;

jest.setTimeout(120_000);

let redisServer: RedisServer;
let redis: Redis;
let pg: Client;
let databaseUrl: string;
let api: NodeProcess;

beforeAll(async () => {
  ({ redisServer, redis, pg, databaseUrl } = await openFaultStores());
}, 120_000);

afterAll(async () => {
  await api?.kill();
  await closeFaultStores({ redis, pg });
});

/** `node dist/cli.js ...args --json` against the test's Redis and database; the parsed output. */
function cli(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'cli.js'), ...args, '--json'],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`cli ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`cli ${args.join(' ')}: not JSON:\n${stdout}\n${stderr}`));
        }
      },
    ),
  );
}

it('a refused order from the outbox is retried with backoff, dead-lettered, listed and replayed by the CLI, and blocks nothing', async () => {
  const urls = { REDIS_URL: redisServer.url, DATABASE_URL: databaseUrl };
  const { sale, items } = await prepareSaleOn(urls, { itemsTotal: 20 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  api = spawnDist('main.js', {
    ...urls,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '0',
    ORDER_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    ORDER_RETRY_BACKOFF_MS: String(BACKOFF_MS),
  });
  await waitUntilReady(url, api);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const buy = async (user: string, item: number) => {
    const c = await timedRequest(agent, 'POST', `${url}/checkout?user_id=${user}&id=${item}`);
    expect(c.status).toBe(200);
    const p = await timedRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(c.body.code)}`);
    expect({ status: p.status, purchased: p.body?.purchased }).toEqual({ status: 200, purchased: [item] });
    return { orderId: p.body.orderId as string, at: p.at };
  };
  const written = async (ids: string[]) => {
    const orders = await pgOrders(pg, sale.id);
    return ids.filter((id) => orders.has(id)).length;
  };

  // A real order first: it holds unit 1 of items[0].
  const first = await buy('first-buyer', items[0]!);
  expect(
    (
      await waitFor(
        () => written([first.orderId]),
        (n) => n === 1,
        15_000,
      )
    ).ok,
  ).toBe(true);

  // The bad orders, appended to the outbox as the purchase script would, then real buyers right after them.
  const outbox = `{sale:${sale.id}}:outbox`;
  const missingItem = { id: randomUUID(), code: `${sale.id}-FAULTMISSINGITEM000000`, user: 'fault-missing-item' };
  const doubleSale = { id: randomUUID(), code: `${sale.id}-FAULTDOUBLESALE0000000`, user: 'fault-double-sale' };
  const injectedAt = Date.now();
  await redis.xadd(
    outbox,
    '*',
    'o',
    missingItem.id,
    'c',
    missingItem.code,
    'u',
    missingItem.user,
    'l',
    `${MISSING_ITEM}:1`,
    't',
    String(injectedAt),
  );
  await redis.xadd(
    outbox,
    '*',
    'o',
    doubleSale.id,
    'c',
    doubleSale.code,
    'u',
    doubleSale.user,
    'l',
    `${items[0]}:1`,
    't',
    String(injectedAt),
  );
  const later = await Promise.all(Array.from({ length: LATER_BUYERS }, (_, i) => buy(`later-buyer-${i}`, items[i + 1]!)));
  const lastAckAt = Math.max(...later.map((l) => l.at));

  // The later purchases are written while the bad orders are still being retried: nothing waits behind them.
  const laterWritten = await waitFor(
    () => written(later.map((l) => l.orderId)),
    (n) => n === LATER_BUYERS,
    15_000,
    20,
  );
  expect(laterWritten.ok).toBe(true);
  const jobKey = (orderId: string) => `{flashsale}:orders:order-${orderId}`;
  const stillRetrying = await Promise.all(
    [missingItem, doubleSale].map(async (o) => (await redis.zscore('{flashsale}:orders:failed', `order-${o.id}`)) === null),
  );
  expect(stillRetrying).toEqual([true, true]);

  // After its attempts, each bad order is a dead letter, on its own (the batch it came in is not one).
  const dead = await waitFor(
    () => queueState(redis),
    (q) => q.failed >= 2,
    30_000,
    50,
  );
  if (!dead.ok) throw new Error(`no dead letters: ${JSON.stringify(dead.value)}\n${tail(api.output)}`);
  const deadAfterMs = dead.at - injectedAt;
  const failedJobs = await redis.zrange('{flashsale}:orders:failed', 0, -1);
  expect(failedJobs.sort()).toEqual([`order-${missingItem.id}`, `order-${doubleSale.id}`].sort());
  const jobs = await Promise.all([missingItem, doubleSale].map((o) => redis.hgetall(jobKey(o.id))));
  for (const job of jobs) {
    expect(Number(job.atm)).toBe(MAX_ATTEMPTS);
    // The attempts were spread out by the backoff (the first retry after BACKOFF_MS, then doubling).
    expect(Number(job.finishedOn) - Number(job.timestamp)).toBeGreaterThanOrEqual(BACKOFF_TOTAL_MS);
  }
  const retrySpanMs = jobs.map((j) => Number(j.finishedOn) - Number(j.timestamp));

  // The admin lists them...
  const listed: { jobId: string; orderIds: string[]; attempts: number; reason: string }[] = await cli('queue:failed');
  const byOrder = new Map(listed.map((l) => [l.orderIds.join(','), l]));
  expect(listed).toHaveLength(2);
  expect(byOrder.get(missingItem.id)).toMatchObject({ jobId: `order-${missingItem.id}`, attempts: MAX_ATTEMPTS });
  expect(byOrder.get(missingItem.id)!.reason).toMatch(/foreign key/i);
  expect(byOrder.get(doubleSale.id)).toMatchObject({ jobId: `order-${doubleSale.id}`, attempts: MAX_ATTEMPTS });
  expect(byOrder.get(doubleSale.id)!.reason).toMatch(/unique/i);

  // ...fixes the cause of one (the item was missing in PostgreSQL) and replays it: it is written.
  await pg.query(`INSERT INTO items (id, sale_id, name) VALUES ($1, $2, 'restored item')`, [MISSING_ITEM, sale.id]);
  const retriedAt = Date.now();
  expect(await cli('queue:retry', `order-${missingItem.id}`)).toEqual({ retried: 1 });
  const replayed = await waitFor(
    () => written([missingItem.id]),
    (n) => n === 1,
    15_000,
    50,
  );
  expect(replayed.ok).toBe(true);
  const stillDead: { orderIds: string[] }[] = await cli('queue:failed');
  expect(stillDead.map((l) => l.orderIds)).toEqual([[doubleSale.id]]);

  // The unit sold twice never was: items[0] is in exactly one order, the first one.
  const holders = await pg.query<{ order_id: string }>('SELECT order_id FROM order_items WHERE item_id = $1', [items[0]]);
  expect(holders.rows.map((r) => r.order_id)).toEqual([first.orderId]);
  const orders = await pgOrders(pg, sale.id);
  expect([...orders.keys()].sort()).toEqual([first.orderId, ...later.map((l) => l.orderId), missingItem.id].sort());
  expect(await redis.xlen(outbox)).toBe(0);
  expect((await timedRequest(agent, 'GET', `${url}/health/ready`)).status).toBe(200);
  agent.destroy();

  reportFault('dead-letter-through-outbox', {
    maxAttempts: MAX_ATTEMPTS,
    backoffMs: BACKOFF_MS,
    laterPurchases: LATER_BUYERS,
    laterWrittenAfterLastAckMs: laterWritten.at - lastAckAt,
    badOrdersStillRetryingWhenLaterWritten: stillRetrying.filter(Boolean).length,
    deadLetters: failedJobs.length,
    deadLetterAfterInjectMs: deadAfterMs,
    attemptSpanMs: retrySpanMs,
    reasons: listed.map((l) => l.reason.split('\n').pop()!.slice(0, 80)),
    replayedWrittenAfterRetryMs: replayed.at - retriedAt,
    deadLettersAfterReplay: stillDead.length,
  });
});
