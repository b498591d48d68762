import request from 'supertest';
import { PUBLIC_READ_MAX_AGE_MS } from '../../src/application/sales/get-sale.use-case';
import { Sale } from '../../src/domain/sale/sale.entity';
import { itemNames } from '../../src/domain/sale/item-names';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState, withPg } from '../support/test-env';

/*
 * Reading sales: GET /sales/active and GET /sales/:id/items with its cursor pagination. The worker is off in
 * this file, so PostgreSQL never learns of a purchase: whatever says "sold" can only come from Redis.
 */

let t: TestApp;

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ WORKER_ENABLED: 'false' });
});

afterAll(async () => {
  await t.close();
});

interface Page {
  items: { id: number; name: string; sold: boolean }[];
  nextCursor: string | null;
}

async function page(saleId: number, query: Record<string, string | number> = {}): Promise<Page> {
  const res = await request(t.url).get(`/sales/${saleId}/items`).query(query);
  expect(res.status).toBe(200);
  return res.body as Page;
}

/** Follows nextCursor from the first page to the last; returns every page. */
async function walk(saleId: number, limit?: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const query: Record<string, string | number> = {};
    if (limit !== undefined) query.limit = limit;
    if (cursor !== null) query.cursor = cursor;
    const p = await page(saleId, query);
    pages.push(p);
    cursor = p.nextCursor;
    if (pages.length > 2_000) throw new Error('nextCursor never ends');
  } while (cursor !== null);
  return pages;
}

describe('GET /sales/active with no sale open', () => {
  it('answers 404 problem+json no_active_sale (a checkout gets 409 with the same code)', async () => {
    const res = await request(t.url).get('/sales/active');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'no_active_sale', type: 'urn:flashsale:problem:no_active_sale', status: res.status });
    // No upcoming sale is known: nothing to wait for.
    expect(res.headers['retry-after']).toBeUndefined();
    const checkout = await request(t.url).post('/checkout').query({ user_id: 'u', id: 1 });
    expect(checkout.body.code).toBe('no_active_sale');
    expect(checkout.status).toBe(409);
    expect(res.status).toBe(404);
  });

  it('says when the next sale opens (Retry-After) once one is scheduled', async () => {
    const later = await createOpenSale(t, { itemsTotal: 3, startsInMs: 2 * 3_600_000 });
    const res = await request(t.url).get('/sales/active');
    expect(res.body.code).toBe('no_active_sale');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(2 * 3600 - 60);
    expect(retryAfter).toBeLessThanOrEqual(2 * 3600);
    // GET /sales/:id still shows it, as scheduled.
    const byId = await request(t.url).get(`/sales/${later.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id: later.id, status: 'scheduled', itemsTotal: 3, itemsSold: 0 });
  });
});

describe('a waiting line while the waiting room is off (WAITING_ROOM defaults to off)', () => {
  it('answers 409 line_not_open to a join and to a read, whatever the sale: checkout is direct', async () => {
    for (const res of [
      await request(t.url).post('/sales/1/line').query({ user_id: 'u' }),
      await request(t.url).get('/sales/1/line').query({ user_id: 'u' }),
    ]) {
      expect([res.status, res.headers['content-type'], res.body.code]).toEqual([
        409,
        'application/problem+json; charset=utf-8',
        'line_not_open',
      ]);
      expect(res.body.detail).toMatch(/waiting room is off/);
    }
  });
});

describe('GET /sales/:id/items on a sale of 1200 items', () => {
  const TOTAL = 1200;
  let sale: Sale;
  let ids: number[];

  beforeAll(async () => {
    sale = await createOpenSale(t, { itemsTotal: TOTAL, perUserLimit: 5 });
    ids = await itemIdsOf(t, sale);
    expect(ids).toHaveLength(TOTAL);
  });

  it('GET /sales/active now shows it', async () => {
    const res = await request(t.url).get('/sales/active');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sale.id, status: 'active', itemsTotal: TOTAL, itemsSold: 0 });
  });

  it('pages by 100 by default and the cursor walks every item exactly once, in id order, then stops', async () => {
    const pages = await walk(sale.id);
    expect(pages.map((p) => p.items.length)).toEqual(Array(TOTAL / 100).fill(100));
    // 1200 is a multiple of the page size: the 12th page is the last, not an empty 13th.
    expect(pages[pages.length - 1]!.nextCursor).toBeNull();
    const seen = pages.flatMap((p) => p.items);
    expect(seen.map((i) => i.id)).toEqual(ids);
    expect(seen.map((i) => i.name)).toEqual(itemNames(TOTAL));
    expect(seen.every((i) => i.sold === false)).toBe(true);
    // Each cursor is the last id of its page.
    for (const p of pages.slice(0, -1)) expect(p.nextCursor).toBe(String(p.items[p.items.length - 1]!.id));
  });

  it('walks the same items with any page size; 1000 is the largest allowed', async () => {
    for (const limit of [7, 1000]) {
      const pages = await walk(sale.id, limit);
      expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(ids);
      expect(pages.slice(0, -1).every((p) => p.items.length === limit)).toBe(true);
      expect(pages).toHaveLength(Math.ceil(TOTAL / limit));
    }
    for (const bad of ['1001', '0', '-1', 'abc']) {
      const res = await request(t.url).get(`/sales/${sale.id}/items`).query({ limit: bad });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'invalid_request', parameter: 'limit' });
    }
  });

  it('never shows items of another sale, even when the cursor points into that sale', async () => {
    // The scheduled sale (created first) has lower ids; a cursor of 1 starts before both sales.
    const fromStart = await page(sale.id, { cursor: 1, limit: 1000 });
    expect(fromStart.items.map((i) => i.id)).toEqual(ids.slice(0, 1000));
    const past = await page(sale.id, { cursor: ids[TOTAL - 1]! });
    expect(past).toEqual({ items: [], nextCursor: null });
  });

  it('shows a bought item as sold at once, from Redis, while PostgreSQL has not recorded the order yet', async () => {
    const target = ids[250]!;
    const c = await request(t.url).post('/checkout').query({ user_id: 'reader', id: target });
    expect(c.status).toBe(200);
    const p = await request(t.url).post('/purchase').query({ code: c.body.code });
    expect(p.status).toBe(200);
    expect(p.body.purchased).toEqual([target]);

    const pages = await walk(sale.id, 1000);
    const soldIds = pages.flatMap((pg) => pg.items.filter((i) => i.sold).map((i) => i.id));
    expect(soldIds).toEqual([target]);
    // The page holding it, fetched by cursor, agrees.
    const around = await page(sale.id, { cursor: ids[249]!, limit: 2 });
    expect(around.items.map((i) => [i.id, i.sold])).toEqual([
      [target, true],
      [ids[251]!, false],
    ]);
    // PostgreSQL still says unsold (no worker here): the flag above was live.
    const row = await withPg(async (pg) => (await pg.query('SELECT sold FROM items WHERE id = $1', [target])).rows[0]);
    expect(row.sold).toBe(false);
    expect((await request(t.url).get('/sales/active')).body.itemsSold).toBe(1);
  });

  it("shows another instance's purchase once the recent state it answered from is older than the bound", async () => {
    const other = await startTestApp({ WORKER_ENABLED: 'false' });
    try {
      const target = ids[500]!;
      const soldThere = async () => (await request(other.url).get(`/sales/${sale.id}`)).body.itemsSold as number;
      const itemThere = async () => (await request(other.url).get(`/sales/${sale.id}/items`).query({ cursor: ids[499]!, limit: 1 })).body;
      // The other instance answers (and keeps) the state before the purchase.
      const before = await soldThere();
      expect((await request(t.url).get(`/sales/${sale.id}`)).body.itemsSold).toBe(before); // this one too
      expect((await itemThere()).items).toEqual([expect.objectContaining({ id: target, sold: false })]);

      const c = await request(t.url).post('/checkout').query({ user_id: 'elsewhere', id: target });
      expect((await request(t.url).post('/purchase').query({ code: c.body.code })).body.purchased).toEqual([target]);
      // This instance made the change: it shows it at once.
      expect((await request(t.url).get(`/sales/${sale.id}`)).body.itemsSold).toBe(before + 1);

      // The other one changed nothing itself, so only age ends its state: past the bound it must show it.
      await new Promise((r) => setTimeout(r, PUBLIC_READ_MAX_AGE_MS + 50));
      expect(await soldThere()).toBe(before + 1);
      expect((await itemThere()).items).toEqual([expect.objectContaining({ id: target, sold: true })]);
    } finally {
      await other.close();
    }
  });

  it('answers an unknown sale with 404 sale_not_found', async () => {
    const res = await request(t.url).get(`/sales/${sale.id + 1000}/items`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('sale_not_found');
  });
});
