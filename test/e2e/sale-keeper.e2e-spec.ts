import { Redis } from 'ioredis';
import request from 'supertest';
import { PauseSaleUseCase } from '../../src/application/sales/pause-sale.use-case';
import { REGISTRY_KEY, REGISTRY_PLANS_KEY } from '../../src/infrastructure/redis/sale-keys';
import { TestApp, createOpenSale, itemIdsOf, queueDrained, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * Redis can lose what loading a sale wrote (a failover to a replica that had not yet received it): its
 * registry entry, or its keys too. With the scheduler off (an operator's sales), nothing used to load such a
 * sale again: it answered no_active_sale until someone did. Every instance now puts back any sale that has
 * not ended from PostgreSQL, what written orders sold staying sold.
 */

let t: TestApp;

// An app per test, started after the wipe: a keeper running while the tables are wiped could load a sale
// the wipe is removing.
beforeEach(async () => {
  await wipeState();
  t = await startTestApp({ SALE_KEEPER_INTERVAL_MS: '300' });
});

afterEach(async () => {
  await t.close();
});

/** Deletes what loading the sale wrote, as a replica promoted before it received the load would lack it. */
async function lose(saleId: number, what: 'registry' | 'everything'): Promise<void> {
  const redis = rawRedis();
  try {
    await redis.multi().zrem(REGISTRY_KEY, String(saleId)).hdel(REGISTRY_PLANS_KEY, String(saleId)).exec();
    if (what === 'everything') {
      const keys = await redis.keys(`{sale:${saleId}}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

/** Waits until the sale's meta hash is back: written last, once every item and buyer is in place. */
async function loadedAgain(redis: Redis, saleId: number): Promise<void> {
  expect(
    await eventually(
      () => redis.exists(`{sale:${saleId}}:meta`),
      (n) => n === 1,
      15_000,
    ),
  ).toBe(1);
}

/** The buyers of the sale's orders in PostgreSQL, once the queue is drained and at least one is written. */
function ordersWritten(saleId: number): Promise<{ user_id: string }[]> {
  return eventually(
    async () =>
      (await queueDrained(t))
        ? withPg(async (pg) => (await pg.query<{ user_id: string }>('SELECT user_id FROM orders WHERE sale_id = $1', [saleId])).rows)
        : [],
    (rows) => rows.length > 0,
  );
}

const active = async () => (await request(t.url).get('/sales/active')).body as { id?: number; code?: string };

it('registers again an open sale whose registry entry was lost, with the scheduler off', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 3 });
  expect((await active()).id).toBe(sale.id);

  await lose(sale.id, 'registry');

  // The instance's calendar drops it at its next refresh (within a second); the keeper writes it again.
  const redis = rawRedis();
  try {
    const score = await eventually(
      () => redis.zscore(REGISTRY_KEY, String(sale.id)),
      (s) => s !== null,
      15_000,
    );
    expect(Number(score)).toBe(sale.endsAt.getTime());
  } finally {
    redis.disconnect();
  }
  const back = await eventually(active, (a) => a.id === sale.id, 15_000);
  expect(back.id).toBe(sale.id);
});

it('loads again, from written orders, a sale whose keys were all lost: what was bought stays sold', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 3, perUserLimit: 1 });
  const [bought, other] = await itemIdsOf(t, sale);
  const checkout = await request(t.url).post('/checkout').query({ user_id: 'first', id: bought });
  expect((await request(t.url).post('/purchase').query({ code: checkout.body.code })).status).toBe(200);
  expect(await ordersWritten(sale.id)).toEqual([{ user_id: 'first' }]);

  await lose(sale.id, 'everything');

  const redis = rawRedis();
  try {
    await loadedAgain(redis, sale.id);
    const stock = await redis.hgetall(`{sale:${sale.id}}:stock`);
    expect(Object.keys(stock)).toHaveLength(3);
    expect(stock[String(bought)]).toBe('0');
    expect(stock[String(other)]).toBe('1');
    // What buyers bought is kept as long as the sale's other keys, not for ever.
    const expiry = await redis.pexpiretime(`{sale:${sale.id}}:bought`);
    expect(expiry).toBe(await redis.pexpiretime(`{sale:${sale.id}}:meta`));
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'sold')).toBe('1');
  } finally {
    redis.disconnect();
  }
  const back = await eventually(active, (a) => a.id === sale.id, 15_000);
  expect(back.id).toBe(sale.id);
  // The buyer's limit came back with the written order; another buyer gets the item still on sale.
  const again = await request(t.url).post('/checkout').query({ user_id: 'first', id: other });
  expect([again.status, again.body.code]).toEqual([409, 'user_limit_reached']);
  expect((await request(t.url).post('/checkout').query({ user_id: 'second', id: other })).status).toBe(200);
});

it('publishes nothing of a load that failed part way, and the whole sale once it can load', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 3, perUserLimit: 1 });
  const [first, second] = await itemIdsOf(t, sale);
  const code = (await request(t.url).post('/checkout').query({ user_id: 'ann', id: first })).body.code;
  expect((await request(t.url).post('/purchase').query({ code })).body.purchased).toEqual([first]);
  // Ann's tally is rebuilt from her written order: wait for it.
  expect(await ordersWritten(sale.id)).toEqual([{ user_id: 'ann' }]);

  const redis = rawRedis();
  try {
    // Everything lost, and the buyers' hash taken by a key of another type: loading their tallies fails.
    const keys = await redis.keys(`{sale:${sale.id}}:*`);
    await redis
      .multi()
      .zrem(REGISTRY_KEY, String(sale.id))
      .hdel(REGISTRY_PLANS_KEY, String(sale.id))
      .del(...keys)
      .set(`{sale:${sale.id}}:bought`, 'not a hash')
      .exec();
    // Several keeper runs (every 300 ms) fail; none may publish the sale without ann's tally.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await redis.exists(`{sale:${sale.id}}:meta`)).toBe(0);
    // What the failed loads wrote ends with the sale (its end plus the retention), as a whole load's keys do.
    expect(await redis.pexpiretime(`{sale:${sale.id}}:stock`)).toBe(sale.endsAt.getTime() + t.config.SALE_RETENTION_SECONDS * 1000);

    await redis.del(`{sale:${sale.id}}:bought`);
    await loadedAgain(redis, sale.id);
    const again = await request(t.url).post('/checkout').query({ user_id: 'ann', id: second });
    expect(again.body.code).toBe('user_limit_reached');
  } finally {
    redis.disconnect();
  }
});

it('brings a paused sale back paused', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 2 });
  const [item] = await itemIdsOf(t, sale);
  await t.app.get(PauseSaleUseCase).pause(sale.id);
  const paused = await request(t.url).post('/checkout').query({ user_id: 'early', id: item });
  expect([paused.status, paused.body.code]).toEqual([409, 'sale_paused']);

  await lose(sale.id, 'everything');

  const redis = rawRedis();
  try {
    await loadedAgain(redis, sale.id);
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'paused')).toBe('1');
  } finally {
    redis.disconnect();
  }
  const again = await eventually(
    () => request(t.url).post('/checkout').query({ user_id: 'early', id: item }),
    (r) => r.body.code !== 'no_active_sale',
    15_000,
  );
  expect([again.status, again.body.code]).toEqual([409, 'sale_paused']);
});

it('pauses again a sale whose pause alone was lost', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 2 });
  const [item] = await itemIdsOf(t, sale);
  await t.app.get(PauseSaleUseCase).pause(sale.id);
  const redis = rawRedis();
  try {
    // As a failover to a replica that had not received the switch would leave it: keys there, no pause.
    await redis.hdel(`{sale:${sale.id}}:meta`, 'paused');
    const answered = await eventually(
      () => request(t.url).post('/checkout').query({ user_id: 'during-pause', id: item }),
      (r) => r.body.code === 'sale_paused',
      15_000,
    );
    expect([answered.status, answered.body.code]).toEqual([409, 'sale_paused']);
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'paused')).toBe('1');
  } finally {
    redis.disconnect();
  }
});

it('leaves an ended sale as it is', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 1, startsInMs: -3_000, durationMs: 2_000 });
  await lose(sale.id, 'everything');
  // Several runs of the keeper (every 300 ms) later, nothing of it is back.
  await new Promise((r) => setTimeout(r, 1_500));
  const redis = rawRedis();
  try {
    expect(await redis.exists(`{sale:${sale.id}}:meta`, `{sale:${sale.id}}:stock`)).toBe(0);
    expect(await redis.zscore(REGISTRY_KEY, String(sale.id))).toBeNull();
  } finally {
    redis.disconnect();
  }
});
