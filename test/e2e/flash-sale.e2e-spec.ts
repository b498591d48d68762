import request from 'supertest';
import { startTestApp, createOpenSale, itemIdsOf, queueDrained, TestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * The whole path for real: HTTP -> Lua scripts in Redis -> outbox -> BullMQ -> PostgreSQL, with requests
 * fired concurrently at a running app.
 */

let t: TestApp;

beforeEach(async () => {
  await wipeState();
  t = await startTestApp();
});

afterEach(async () => {
  await t.close();
});

const checkout = (userId: string, itemId: number | string) => request(t.url).post('/checkout').query({ user_id: userId, id: itemId });
const purchase = (code: string) => request(t.url).post('/purchase').query({ code });

async function waitForOrders(expected: number): Promise<number> {
  return eventually(
    async () =>
      (await queueDrained(t)) ? withPg(async (pg) => Number((await pg.query('SELECT count(*) FROM orders')).rows[0].count)) : -1,
    (n) => n === expected,
  );
}

describe('a sale of 50 items with 500 buyers at once', () => {
  it('sells every item exactly once, keeps every limit and writes one order per acknowledged purchase', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 50, saleCap: 50, perUserLimit: 2 });
    const items = await itemIdsOf(t, sale);
    // Each user wants 3 random items (one more than the limit allows) and then buys.
    const users = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

    const outcomes = await Promise.all(
      users.map(async (user) => {
        let code: string | undefined;
        for (let k = 0; k < 3; k++) {
          const res = await checkout(user, items[Math.floor(random() * items.length)]!);
          expect([200, 409]).toContain(res.status);
          if (res.status === 200) code = res.body.code;
        }
        if (!code) return { user, purchased: [] as number[], orderId: null };
        const res = await purchase(code);
        expect(res.status).toBe(200);
        return { user, purchased: res.body.purchased as number[], orderId: res.body.orderId as string | null };
      }),
    );

    const sold = outcomes.flatMap((o) => o.purchased);
    expect(sold).toHaveLength(new Set(sold).size);
    for (const o of outcomes) expect(o.purchased.length).toBeLessThanOrEqual(2);
    const acknowledged = outcomes.filter((o) => o.orderId !== null);

    // Everything that can sell has sold: the buyers wanted far more than 50 items.
    const redis = rawRedis();
    try {
      expect(Number(await redis.hget(`{sale:${sale.id}}:meta`, 'sold'))).toBe(sold.length);
      const left = (await redis.hvals(`{sale:${sale.id}}:stock`)).map(Number);
      expect(left.filter((n) => n === 0)).toHaveLength(sold.length);
    } finally {
      redis.disconnect();
    }

    expect(await waitForOrders(acknowledged.length)).toBe(acknowledged.length);
    await withPg(async (pg) => {
      const lines = await pg.query('SELECT item_id FROM order_items');
      expect(lines.rows.map((r) => r.item_id).sort()).toEqual([...sold].sort());
      const perUser = await pg.query(
        'SELECT user_id, count(*)::int AS n FROM order_items JOIN orders ON orders.id = order_id GROUP BY user_id',
      );
      for (const row of perUser.rows) expect(row.n).toBeLessThanOrEqual(2);
      const soldFlags = await pg.query('SELECT count(*)::int AS n FROM items WHERE sold');
      expect(soldFlags.rows[0].n).toBe(sold.length);
      const ids = await pg.query('SELECT id FROM orders');
      expect(ids.rows.map((r) => r.id).sort()).toEqual(acknowledged.map((o) => o.orderId).sort());
    });
    expect(sold.length).toBe(50);
  });
});

describe('one user firing 30 checkouts and purchases at once', () => {
  it('never gets more than the per-user limit of 10', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 100, perUserLimit: 10 });
    const items = await itemIdsOf(t, sale);
    const results = await Promise.all(
      items.slice(0, 30).map(async (item) => {
        const c = await checkout('greedy', item);
        if (c.status !== 200) return null;
        const p = await purchase(c.body.code);
        return p.status === 200 ? (p.body as { orderId: string | null; purchased: number[] }) : null;
      }),
    );
    // Several flows may share one checkout code (a user has one open checkout): count each order once,
    // and check that every answer for the same order is the same.
    const orders = new Map<string, number[]>();
    for (const r of results) {
      if (!r?.orderId) continue;
      if (orders.has(r.orderId)) expect(r.purchased).toEqual(orders.get(r.orderId));
      orders.set(r.orderId, r.purchased);
    }
    const bought = [...orders.values()].flat();
    expect(new Set(bought).size).toBe(bought.length);
    expect(bought.length).toBeLessThanOrEqual(10);
    expect(bought.length).toBeGreaterThan(0);
    await eventually(() => queueDrained(t), Boolean);
    await eventually(
      () =>
        withPg(async (pg) =>
          Number(
            (await pg.query(`SELECT count(*) FROM order_items JOIN orders ON orders.id = order_id WHERE user_id = 'greedy'`)).rows[0].count,
          ),
        ),
      (n) => n === bought.length,
    );
    // Limit reached: one more item is refused at checkout.
    const more = await checkout('greedy', items[99]!);
    if (bought.length === 10) expect(more.body.code).toBe('user_limit_reached');
  });
});

describe('the same code purchased 50 times at once', () => {
  it('buys once and answers every request with the same body', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 5 });
    const items = await itemIdsOf(t, sale);
    let code = '';
    for (const item of items.slice(0, 3)) code = (await checkout('alice', item)).body.code;

    const responses = await Promise.all(Array.from({ length: 50 }, () => purchase(code)));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual(responses[0]!.body);
    }
    expect(responses[0]!.body).toMatchObject({ saleId: sale.id, purchased: items.slice(0, 3), failed: [] });
    expect(responses[0]!.body.orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await waitForOrders(1)).toBe(1);
    // After a drained queue there is still exactly one order, with three lines.
    await withPg(async (pg) => {
      expect((await pg.query('SELECT count(*)::int AS n FROM order_items')).rows[0].n).toBe(3);
    });
  });
});
