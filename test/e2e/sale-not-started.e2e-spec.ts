import request from 'supertest';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * Early clients: a checkout of an item whose sale has not started is answered 409 sale_not_started with
 * Retry-After, by the instance itself (the sale's scripts are never run), and still counted as an attempt.
 */

let t: TestApp;

beforeAll(async () => {
  await wipeState();
  t = await startTestApp();
});

afterAll(async () => {
  await t.close();
});

describe('a sale that has not started', () => {
  it('answers 409 sale_not_started with Retry-After, without running its scripts', async () => {
    const open = await createOpenSale(t, { itemsTotal: 2, durationMs: 60_000 });
    const later = await createOpenSale(t, { itemsTotal: 3, startsInMs: 10 * 60_000 });
    const [laterItem] = await itemIdsOf(t, later);
    const redis = rawRedis();
    try {
      const res = await request(t.url).post('/checkout').query({ user_id: 'early', id: laterItem });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('sale_not_started');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(9 * 60);
      expect(retryAfter).toBeLessThanOrEqual(10 * 60);
      // The sale's own script would have logged the attempt in its stream: it never ran.
      expect(await redis.exists(`{sale:${later.id}}:attempts`, `{sale:${later.id}}:checkouts`)).toBe(0);
      // Items of the open sale are unaffected.
      const [openItem] = await itemIdsOf(t, open);
      expect((await request(t.url).post('/checkout').query({ user_id: 'early', id: openItem })).status).toBe(200);
    } finally {
      redis.disconnect();
    }
    // The attempt still reaches analytics, under the sale it was for.
    const rows = await eventually(
      () =>
        withPg(
          async (pg) =>
            (await pg.query(`SELECT sale_id, result FROM checkout_attempts WHERE user_id = 'early' ORDER BY attempted_at`)).rows,
        ),
      (r) => r.length === 2,
    );
    expect(rows).toContainEqual({ sale_id: later.id, result: 'sale_not_started' });
  });

  it('answers sale_not_started when no sale is open at all', async () => {
    await wipeState();
    const later = await createOpenSale(t, { itemsTotal: 1, startsInMs: 30 * 60_000 });
    const [item] = await itemIdsOf(t, later);
    const res = await request(t.url).post('/checkout').query({ user_id: 'early', id: item });
    expect([res.status, res.body.code]).toEqual([409, 'sale_not_started']);
    // An item of no known sale is still "no active sale".
    expect((await request(t.url).post('/checkout').query({ user_id: 'early', id: 999_999 })).body.code).toBe('no_active_sale');
  });
});
