import request from 'supertest';
import { CheckoutLedger } from '../../src/application/checkout/checkout-ledger.port';
import { CheckoutUseCase } from '../../src/application/checkout/checkout.use-case';
import { PauseSaleUseCase } from '../../src/application/sales/pause-sale.use-case';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * After a sell-out nearly every request is a checkout of an item that is gone, or of a sale whose cap is
 * reached. Once the ledger has refused an item (or the sale) as sold out, the instance sends later checkouts
 * of it to a cheap batched check (checkout-sold-out.lua) instead of the full checkout script. The answers, the analytics rows and the
 * dashboard's tallies must be exactly those the checkout script would have produced, no answered attempt may
 * go unlogged, and an item whose stock comes back (a ledger rebuilt after Redis lost data) must sell again.
 */

let t: TestApp;

beforeEach(async () => {
  await wipeState();
  t = await startTestApp();
});

afterEach(async () => {
  await t.close();
});

const checkout = (user: string, id: number, headers: Record<string, string> = {}) =>
  request(t.url).post('/checkout').query({ user_id: user, id }).set(headers);

/**
 * Runs `work` and counts the ledger calls it made: the full checkout script, or the batched sold-out check.
 * The spies call through to the real ledger on the real Redis; they only count.
 */
async function ledgerCallsDuring(work: () => Promise<void>): Promise<{ checkout: number; refuseSoldOut: number }> {
  const ledger = t.app.get(CheckoutLedger);
  const checkoutSpy = jest.spyOn(ledger, 'checkout');
  const soldOutSpy = jest.spyOn(ledger, 'refuseSoldOut');
  try {
    await work();
    return { checkout: checkoutSpy.mock.calls.length, refuseSoldOut: soldOutSpy.mock.calls.length };
  } finally {
    checkoutSpy.mockRestore();
    soldOutSpy.mockRestore();
  }
}

it('answers checkouts of a sold-out item as the ledger would, and logs every one of them', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 5, perUserLimit: 5 });
  const [gone, other] = await itemIdsOf(t, sale);

  // Ann has the item in her checkout when Bob buys it.
  const ann = await checkout('ann', gone!);
  expect(ann.status).toBe(200);
  const bob = await checkout('bob', gone!);
  expect((await request(t.url).post('/purchase').query({ code: bob.body.code })).body.purchased).toEqual([gone]);

  // The first refusal comes from the script; the instance learns from it.
  const first = await checkout('first', gone!);
  expect([first.status, first.body.code]).toEqual([409, 'item_sold_out']);

  // 400 buyers at once: each refused with the same problem+json by the batched sold-out check
  // (checkout-sold-out.lua), none by the full checkout script.
  let crowd: request.Response[] = [];
  const runs = await ledgerCallsDuring(async () => {
    crowd = await Promise.all(Array.from({ length: 400 }, (_, i) => checkout(`crowd-${i}`, gone!)));
  });
  for (const res of crowd) {
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(first.body);
  }
  expect(runs).toEqual({ checkout: 0, refuseSoldOut: crowd.length });

  // Ann adding it again is refused too: it sits in her checkout but can no longer be bought. Her checkout
  // keeps it, and her purchase reports it as sold out while buying the rest.
  const again = await checkout('ann', gone!);
  expect([again.status, again.body.code]).toEqual([409, 'item_sold_out']);
  const annMore = await checkout('ann', other!);
  expect(annMore.body.items).toEqual([gone, other]);

  // A pause does not hide that the item is gone, whether the batched check answers or (with an
  // Idempotency-Key) the checkout script; an item still for sale is refused as paused.
  const pause = t.app.get(PauseSaleUseCase);
  expect((await pause.pause(sale.id as SaleId)).ok).toBe(true);
  const duringPause = [
    await checkout('cy', gone!),
    await checkout('di', gone!, { 'idempotency-key': '"during-pause"' }),
    await checkout('cy', other!),
  ];
  expect(duringPause.map((r) => r.body.code)).toEqual(['item_sold_out', 'item_sold_out', 'sale_paused']);
  expect((await pause.resume(sale.id as SaleId)).ok).toBe(true);

  const bought = await request(t.url).post('/purchase').query({ code: annMore.body.code });
  expect(bought.body).toMatchObject({ purchased: [other], failed: [{ id: gone, reason: 'item_sold_out' }] });

  // Every refusal is in checkout_attempts, one row per request, with the right user and item ...
  const refusedUsers = ['first', ...crowd.map((_, i) => `crowd-${i}`), 'ann', 'cy', 'di'].sort();
  const rows = await eventually(
    () =>
      withPg(
        async (pg) =>
          (
            await pg.query<{ user_id: string; item_id: number; sale_id: number }>(
              `SELECT user_id, item_id, sale_id FROM checkout_attempts WHERE result = 'item_sold_out'`,
            )
          ).rows,
      ),
    (r) => r.length >= refusedUsers.length,
  );
  expect(rows.map((r) => r.user_id).sort()).toEqual(refusedUsers);
  expect(rows.every((r) => r.item_id === gone && r.sale_id === sale.id)).toBe(true);

  // ... and in the dashboard's tallies, which count as the script counts.
  const redis = rawRedis();
  try {
    expect(await redis.hget(`{sale:${sale.id}}:stats`, 'c:item_sold_out')).toBe(String(refusedUsers.length));
    expect(await redis.hget(`{sale:${sale.id}}:stats`, 'c:sale_paused')).toBe('1');
  } finally {
    redis.disconnect();
  }
});

it('leaves requests with an Idempotency-Key to the ledger, which stores and replays the answer', async () => {
  const items = await itemIdsOf(t, await createOpenSale(t, { itemsTotal: 2 }));
  const code = (await checkout('dee', items[0]!)).body.code;
  await request(t.url).post('/purchase').query({ code });
  await checkout('eve', items[0]!); // the instance now knows the item is sold out

  const key = { 'idempotency-key': '"sold-out-retry-1"' };
  const firstTry = await checkout('fay', items[0]!, key);
  const retry = await checkout('fay', items[0]!, key);
  expect([firstTry.status, firstTry.body.code]).toEqual([409, 'item_sold_out']);
  expect([retry.status, retry.body]).toEqual([409, firstTry.body]);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(firstTry.headers['idempotent-replayed']).toBeUndefined();
});

it('sells an item again when the ledger no longer calls it sold out (stock rebuilt after Redis lost data)', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 2 });
  const [item] = await itemIdsOf(t, sale);
  const code = (await checkout('gus', item!)).body.code;
  await request(t.url).post('/purchase').query({ code });
  expect((await checkout('hal', item!)).body.code).toBe('item_sold_out'); // learned

  // As if Redis had lost the purchase before PostgreSQL got it, and the sale was loaded again from there.
  const redis = rawRedis();
  try {
    await redis.hset(`{sale:${sale.id}}:stock`, String(item), '1');
  } finally {
    redis.disconnect();
  }
  const runs = await ledgerCallsDuring(async () => {
    const res = await checkout('ida', item!);
    expect([res.status, res.body.items]).toEqual([200, [item]]);
  });
  // The batched check said no, so the full checkout ran and accepted it ...
  expect(runs).toEqual({ refuseSoldOut: 1, checkout: 1 });
  // ... and the instance forgot the item: the next checkout goes straight to the full script.
  const next = await ledgerCallsDuring(async () => {
    expect((await checkout('jo', item!)).status).toBe(200);
  });
  expect(next).toEqual({ refuseSoldOut: 0, checkout: 1 });
});

it('answers checkouts of a sale that reached its cap as the ledger would, logs every one, and keeps what the cap does not decide', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 6, saleCap: 2 });
  const items = await itemIdsOf(t, sale);

  // Kim holds item 3 in her checkout before the cap is reached; two buyers then reach it.
  expect((await checkout('kim', items[2]!)).status).toBe(200);
  for (const [user, item] of [
    ['lea', items[0]!],
    ['max', items[1]!],
  ] as const) {
    const code = (await checkout(user, item)).body.code;
    expect((await request(t.url).post('/purchase').query({ code })).body.purchased).toEqual([item]);
  }

  // The first refusal comes from the full script; the instance learns the cap is reached.
  const first = await checkout('first', items[3]!);
  expect([first.status, first.body.code]).toEqual([409, 'sale_sold_out']);

  // 300 buyers at once, of items that still have units and of the sold ones: every one refused by the
  // batched check, as the script would (sale_sold_out, or item_sold_out for the items bought).
  let crowd: request.Response[] = [];
  const crowdItems = Array.from({ length: 300 }, (_, i) => items[i % items.length]!);
  const runs = await ledgerCallsDuring(async () => {
    crowd = await Promise.all(crowdItems.map((item, i) => checkout(`cap-${i}`, item)));
  });
  crowd.forEach((res, i) => {
    const gone = crowdItems[i] === items[0] || crowdItems[i] === items[1];
    expect([res.status, res.body.code]).toEqual([409, gone ? 'item_sold_out' : 'sale_sold_out']);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
  expect(runs).toEqual({ checkout: 0, refuseSoldOut: crowd.length });

  // Kim's item is already hers: the batched check leaves it to the full checkout, which answers it unchanged.
  const kim = await ledgerCallsDuring(async () => {
    const again = await checkout('kim', items[2]!);
    expect([again.status, again.body.items]).toEqual([200, [items[2]]]);
  });
  expect(kim).toEqual({ checkout: 1, refuseSoldOut: 1 });

  // Every refusal is in checkout_attempts with its own result, and in the dashboard's tallies.
  const refusedSaleSoldOut = ['first', ...crowd.flatMap((r, i) => (r.body.code === 'sale_sold_out' ? [`cap-${i}`] : []))].sort();
  const rows = await eventually(
    () =>
      withPg(
        async (pg) =>
          (
            await pg.query<{ user_id: string }>(`SELECT user_id FROM checkout_attempts WHERE result = 'sale_sold_out' AND sale_id = $1`, [
              sale.id,
            ])
          ).rows,
      ),
    (r) => r.length >= refusedSaleSoldOut.length,
  );
  expect(rows.map((r) => r.user_id).sort()).toEqual(refusedSaleSoldOut);
  const redis = rawRedis();
  try {
    expect(await redis.hget(`{sale:${sale.id}}:stats`, 'c:sale_sold_out')).toBe(String(refusedSaleSoldOut.length));
    expect(await redis.hget(`{sale:${sale.id}}:stats`, 'c:item_sold_out')).toBe(String(crowd.length + 1 - refusedSaleSoldOut.length));
  } finally {
    redis.disconnect();
  }
});

it('fails only the request whose checkout record cannot be read, not the batched refusals around it', async () => {
  const sale = await createOpenSale(t, { itemsTotal: 6, saleCap: 1 });
  const items = await itemIdsOf(t, sale);
  // Zed holds an item before the cap is reached; Lea reaches it.
  const zedCode = (await checkout('zed', items[2]!)).body.code;
  const lea = (await checkout('lea', items[0]!)).body.code;
  expect((await request(t.url).post('/purchase').query({ code: lea })).body.purchased).toEqual([items[0]]);
  expect((await checkout('first', items[3]!)).body.code).toBe('sale_sold_out');

  const redis = rawRedis();
  try {
    await redis.hset(`{sale:${sale.id}}:checkouts`, zedCode, 'not a record');
  } finally {
    redis.disconnect();
  }
  // Zed's checkout rides in the middle of a crowd, all sent in one turn of the event loop: the batched check
  // refuses them in one call.
  const useCase = t.app.get(CheckoutUseCase);
  const users = Array.from({ length: 60 }, (_, i) => (i === 30 ? 'zed' : `crowd-${i}`));
  const answers = await Promise.allSettled(users.map((user) => useCase.execute({ userId: user as UserId, itemId: items[3]! as ItemId })));
  answers.forEach((answer, i) => {
    if (users[i] === 'zed') return;
    expect(answer.status).toBe('fulfilled');
    const { result } = (answer as PromiseFulfilledResult<Awaited<ReturnType<CheckoutUseCase['execute']>>>).value;
    expect(result.ok ? 'ok' : result.error.code).toBe('sale_sold_out');
  });
});
