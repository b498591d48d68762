import request from 'supertest';
import { TestApp, createOpenSale, itemIdsOf, queueDrained, startTestApp } from '../support/test-app';
import { eventually, wipeState, withPg } from '../support/test-env';

/*
 * A sale configured as one purchase per user: whatever a user fires at once, one order at most, enforced
 * inside the Lua scripts.
 */

let t: TestApp;

beforeAll(async () => {
  await wipeState();
  t = await startTestApp();
});

afterAll(async () => {
  await t.close();
});

describe('one purchase per user', () => {
  it('holds under concurrent checkouts and purchases from one user', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 40, perUserLimit: 10, onePurchasePerUser: true });
    const items = await itemIdsOf(t, sale);
    const flows = await Promise.all(
      items.slice(0, 25).map(async (id) => {
        const c = await request(t.url).post('/checkout').query({ user_id: 'eager', id });
        if (c.status !== 200) return null;
        const p = await request(t.url).post('/purchase').query({ code: c.body.code });
        return p.status === 200 ? (p.body as { orderId: string | null; purchased: number[] }) : null;
      }),
    );
    const orders = new Set(flows.filter((f) => f?.orderId).map((f) => f!.orderId));
    expect(orders.size).toBe(1);
    const bought = flows.find((f) => f?.orderId)!.purchased;
    expect(bought.length).toBeGreaterThan(0);
    expect(bought.length).toBeLessThanOrEqual(10);

    // Afterwards: no new checkout, and PostgreSQL agrees there is one order.
    const again = await request(t.url).post('/checkout').query({ user_id: 'eager', id: items[30] });
    expect([again.status, again.body.code]).toEqual([409, 'user_limit_reached']);
    await eventually(() => queueDrained(t), Boolean);
    const rows = await eventually(
      () => withPg(async (pg) => (await pg.query(`SELECT count(*)::int AS n FROM orders WHERE user_id = 'eager'`)).rows[0].n as number),
      (n) => n === 1,
    );
    expect(rows).toBe(1);
    expect((await request(t.url).get(`/sales/${sale.id}`)).body.onePurchasePerUser).toBe(true);
  });

  it('refuses a second checkout after the first purchase, to that user only', async () => {
    await wipeState();
    const sale = await createOpenSale(t, { itemsTotal: 5, perUserLimit: 5, onePurchasePerUser: true });
    const items = await itemIdsOf(t, sale);
    const first = (await request(t.url).post('/checkout').query({ user_id: 'twice', id: items[0] })).body.code;
    expect((await request(t.url).post('/purchase').query({ code: first })).body.purchased).toEqual([items[0]]);
    // A second checkout is refused outright...
    expect((await request(t.url).post('/checkout').query({ user_id: 'twice', id: items[1] })).body.code).toBe('user_limit_reached');
    // ...and other users are unaffected.
    const other = (await request(t.url).post('/checkout').query({ user_id: 'someone-else', id: items[1] })).body.code;
    expect((await request(t.url).post('/purchase').query({ code: other })).body.purchased).toEqual([items[1]]);
  });
});
