import request from 'supertest';
import { PurchaseLedger } from '../../src/application/purchase/purchase-ledger.port';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { rawRedis, wipeState } from '../support/test-env';
import { SseClient } from '../support/sse';

/*
 * The edges of a sale: open pages are told when it starts and ends, and the end is a hard line: a checkout
 * opened during the sale cannot be bought after it ends (409 sale_ended, nothing sold, nothing queued), and
 * new checkouts find no active sale.
 */

let t: TestApp;

beforeAll(async () => {
  await wipeState();
  t = await startTestApp();
});

afterAll(async () => {
  await t.close();
});

it('refuses a purchase after the sale ended with 409 sale_ended, selling nothing', async () => {
  // Started a second ago, ends in five (two was too little on a busy CI box: the checkout came after the end).
  const sale = await createOpenSale(t, { itemsTotal: 2, durationMs: 6_000 });
  const [item] = await itemIdsOf(t, sale);
  const checkout = await request(t.url).post('/checkout').query({ user_id: 'late-buyer', id: item });
  expect(checkout.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, sale.window.endsAt.getTime() - Date.now() + 100));

  const res = await request(t.url).post('/purchase').query({ code: checkout.body.code });
  expect([res.status, res.body.code]).toEqual([409, 'sale_ended']);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);

  const after = await request(t.url).get(`/sales/${sale.id}`);
  expect(after.body).toMatchObject({ status: 'ended', itemsSold: 0 });
  const redis = rawRedis();
  try {
    expect(await redis.xlen(`{sale:${sale.id}}:outbox`)).toBe(0);
    expect(await redis.hget(`{sale:${sale.id}}:stock`, String(item))).toBe('1');
  } finally {
    redis.disconnect();
  }
  // And nothing is open any more for a new checkout.
  const again = await request(t.url).post('/checkout').query({ user_id: 'later-still', id: item });
  expect([again.status, again.body.code]).toEqual([409, 'no_active_sale']);
});

it('tells open pages when the sale starts and when it ends', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 1, startsInMs: 1_500, durationMs: 1_500 });
  const page = await SseClient.open(`${t.url}/sales/${sale.id}/events`);
  try {
    await page.until(() => page.of('snapshot').length === 1);
    expect(page.of('snapshot')[0]!.data).toMatchObject({ saleId: sale.id, status: 'scheduled' });
    await page.until(() => page.of('ended').length === 1, 10_000);
    const started = page.of('started')[0]!;
    const ended = page.of('ended')[0]!;
    expect([started.data, ended.data]).toEqual([{ saleId: sale.id }, { saleId: sale.id }]);
    // Not before time (timers may round a millisecond or two early), and in order.
    expect(started.at).toBeGreaterThanOrEqual(sale.window.startsAt.getTime() - 20);
    expect(ended.at).toBeGreaterThanOrEqual(sale.window.endsAt.getTime() - 20);
    expect(ended.at - started.at).toBeGreaterThanOrEqual(1_400);
  } finally {
    page.close();
  }
});

it('answers a crowd of purchases after the end each as a full purchase would: spent codes their order again, the rest sale_ended or checkout_not_found', async () => {
  // Purchases after the end are checked in batches (purchase-ended.lua) rather than one purchase.lua call each:
  // the batches must give every request its own answer, and a spent code still its order.
  // Starting a moment from now: the sale of the test before may have ended only just.
  const sale = await createOpenSale(t, { itemsTotal: 8, startsInMs: 200, durationMs: 6_000 });
  const items = await itemIdsOf(t, sale);
  await new Promise((resolve) => setTimeout(resolve, sale.window.startsAt.getTime() - Date.now() + 50));
  const codes: string[] = [];
  for (const [i, item] of items.entries()) {
    const res = await request(t.url)
      .post('/checkout')
      .query({ user_id: `crowd-${i}`, id: item });
    expect(res.status).toBe(200);
    codes.push(res.body.code);
  }
  const spent = codes.slice(0, 3);
  const orders = new Map<string, string>();
  for (const code of spent) {
    const res = await request(t.url).post('/purchase').query({ code });
    expect(res.status).toBe(200);
    orders.set(code, res.body.orderId);
  }
  const unknown = `${sale.id}-AAAAAAAAAAAAAAAAAAAAAA`;
  await new Promise((resolve) => setTimeout(resolve, sale.window.endsAt.getTime() - Date.now() + 100));

  const asked = Array.from({ length: 120 }, (_, i) => [...codes, unknown][i % (codes.length + 1)]!);
  // Only the spent codes may reach the full purchase; the rest are answered by the batched check.
  const fullPurchases = jest.spyOn(t.app.get(PurchaseLedger), 'purchase');
  const answers = await Promise.all(asked.map((code) => request(t.url).post('/purchase').query({ code })));
  expect(fullPurchases).toHaveBeenCalledTimes(asked.filter((code) => orders.has(code)).length);
  fullPurchases.mockRestore();

  answers.forEach((res, i) => {
    const code = asked[i]!;
    if (orders.has(code)) expect([res.status, res.body.orderId]).toEqual([200, orders.get(code)]);
    else if (code === unknown) expect([res.status, res.body.code]).toEqual([404, 'checkout_not_found']);
    else expect([res.status, res.body.code]).toEqual([409, 'sale_ended']);
  });
  const redis = rawRedis();
  try {
    // Nothing more was bought: the three units of the spent codes, and every other item still in stock.
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'sold')).toBe('3');
    expect(await redis.hmget(`{sale:${sale.id}}:stock`, ...items.map(String))).toEqual(items.map((_, i) => (i < 3 ? '0' : '1')));
  } finally {
    redis.disconnect();
  }
});
