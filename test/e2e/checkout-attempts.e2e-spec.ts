import request from 'supertest';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * Every checkout attempt, accepted or refused, lands in the checkout_attempts table with its reason: the hot
 * path appends it to a Redis stream and a background writer copies the streams into PostgreSQL in batches,
 * then empties them. Two instances run here, so two writers compete for the work: nothing may be lost or
 * written twice.
 */

let apps: TestApp[] = [];

const tally = (results: string[]) => results.reduce<Record<string, number>>((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {});

beforeAll(async () => {
  await wipeState();
  apps = await Promise.all([startTestApp(), startTestApp()]);
});

afterAll(async () => {
  await Promise.all(apps.map((t) => t.close()));
});

interface Attempt {
  user_id: string;
  item_id: number | null;
  sale_id: number | null;
  result: string;
}

const key = (a: Attempt) => `${a.result}|${a.user_id}|${a.item_id}|${a.sale_id}`;

it('records the exact mix of accepted and refused attempts, with reasons, and empties the streams', async () => {
  const startedAt = Date.now();
  const expected: Attempt[] = [];
  let n = 0;
  /** One checkout, on alternating instances; remembers what the table must end up holding. */
  const checkout = async (user: string, item: number, saleId: number | null) => {
    const res = await request(apps[n++ % apps.length]!.url)
      .post('/checkout')
      .query({ user_id: user, id: item });
    const result = res.status === 200 ? 'accepted' : (res.body.code as string);
    expect(res.status).toBeLessThan(500);
    expect(typeof result).toBe('string');
    expect(result).not.toBe('');
    expected.push({ user_id: user, item_id: item, sale_id: saleId, result });
    return { result, code: res.body.code as string };
  };
  const results = async (attempts: Promise<{ result: string }>[]) => tally((await Promise.all(attempts)).map((a) => a.result));

  // Before any sale exists: 3 attempts refused with no_active_sale.
  expect(await results([1, 2, 3].map((i) => checkout(`nosale-${i}`, i, null)))).toEqual({ no_active_sale: 3 });

  const sale = await createOpenSale(t0(), { itemsTotal: 20, perUserLimit: 2 });
  const items = await itemIdsOf(t0(), sale);
  // The other instance learns of the sale on its next calendar refresh (every second).
  for (const t of apps) {
    const seen = await eventually(
      async () => (await request(t.url).get('/sales/active')).body.id,
      (id) => id === sale.id,
      5_000,
    );
    expect(seen).toBe(sale.id);
  }

  // 1 accepted, then bought.
  const first = await checkout('first', items[0]!, sale.id);
  expect(first.result).toBe('accepted');
  expect((await request(apps[1]!.url).post('/purchase').query({ code: first.code })).body.purchased).toEqual([items[0]]);

  // 4 refused: that item is sold.
  expect(await results([0, 1, 2, 3].map((i) => checkout(`late-${i}`, items[0]!, sale.id)))).toEqual({ item_sold_out: 4 });
  // 5 refused: no such item in the sale.
  expect(await results([0, 1, 2, 3, 4].map((i) => checkout(`ghost-${i}`, items[19]! + 1000 + i, sale.id)))).toEqual({
    item_not_found: 5,
  });
  // One user racing 8 items with a limit of 2: exactly 2 accepted, 6 refused.
  expect(await results(items.slice(1, 9).map((item) => checkout('greedy', item, sale.id)))).toEqual({
    accepted: 2,
    user_limit_reached: 6,
  });
  // 7 more accepted.
  expect(await results([0, 1, 2, 3, 4, 5, 6].map((i) => checkout(`fan-${i}`, items[10 + i]!, sale.id)))).toEqual({
    accepted: 7,
  });

  expect(tally(expected.map((e) => e.result))).toEqual({
    no_active_sale: 3,
    accepted: 10,
    item_sold_out: 4,
    item_not_found: 5,
    user_limit_reached: 6,
  });

  const rows = await eventually(
    () =>
      withPg(
        async (pg) =>
          (
            await pg.query<Attempt & { attempted_at: Date }>(
              'SELECT user_id, item_id, sale_id, result, attempted_at FROM checkout_attempts',
            )
          ).rows,
      ),
    (r) => r.length >= expected.length,
  );
  const byResult = await withPg(async (pg) =>
    Object.fromEntries(
      (await pg.query('SELECT result, count(*)::int AS n FROM checkout_attempts GROUP BY result')).rows.map((r) => [r.result, r.n]),
    ),
  );
  expect(byResult).toEqual({ no_active_sale: 3, accepted: 10, item_sold_out: 4, item_not_found: 5, user_limit_reached: 6 });
  // Row for row: who, which item, which sale (none for no_active_sale), what happened.
  expect(rows.map(key).sort()).toEqual(expected.map(key).sort());
  for (const r of rows) {
    expect(r.attempted_at.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(r.attempted_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  }

  // Written, then dropped from Redis: both streams end up empty.
  const redis = rawRedis();
  try {
    const lengths = await eventually(
      async () => [await redis.xlen(`{sale:${sale.id}}:attempts`), await redis.xlen('flashsale:attempts')],
      (l) => l[0] === 0 && l[1] === 0,
    );
    expect(lengths).toEqual([0, 0]);
  } finally {
    redis.disconnect();
  }

  // And nothing is written twice by the competing writers later on.
  await new Promise((r) => setTimeout(r, 800));
  expect(await withPg(async (pg) => (await pg.query('SELECT count(*)::int AS n FROM checkout_attempts')).rows[0].n)).toBe(expected.length);
});

function t0(): TestApp {
  return apps[0]!;
}
