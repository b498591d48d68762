import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { PauseSaleUseCase } from '../../src/application/sales/pause-sale.use-case';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { LUA_DIR } from '../../src/infrastructure/redis/lua-scripts';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * After a sell-out nearly every request is a checkout of an item that is gone. Once the ledger has refused
 * an item as sold out, the instance answers later checkouts of it itself (SoldOutItems), without the checkout
 * script, logging each attempt in batches. The answers, the analytics rows and the dashboard's tallies must be
 * exactly those the script would have produced, and no answered attempt may go unlogged.
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

/** Runs `work` while Redis MONITOR records every command; returns how often each script ran meanwhile. */
async function scriptRunsDuring(work: () => Promise<void>): Promise<Record<string, number>> {
  const sha = (name: string) =>
    createHash('sha1')
      .update(readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8'))
      .digest('hex');
  const names = new Map(['checkout', 'attempts-log'].map((n) => [sha(n), n]));
  const runs: Record<string, number> = {};
  const redis = rawRedis();
  const monitor = await redis.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => {
    const name = args[0]?.toLowerCase() === 'evalsha' ? names.get(args[1] ?? '') : undefined;
    if (name) runs[name] = (runs[name] ?? 0) + 1;
  });
  try {
    await work();
    // MONITOR lags the commands a little: let it catch up.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    monitor.disconnect();
    redis.disconnect();
  }
  return runs;
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

  // 400 buyers at once: each refused with the same problem+json, without the checkout script; their
  // attempts are logged by attempts-log.lua (one call serves all the attempts of one turn of the event loop).
  let crowd: request.Response[] = [];
  const runs = await scriptRunsDuring(async () => {
    crowd = await Promise.all(Array.from({ length: 400 }, (_, i) => checkout(`crowd-${i}`, gone!)));
  });
  for (const res of crowd) {
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(first.body);
  }
  expect(runs.checkout ?? 0).toBe(0);
  expect(runs['attempts-log']).toBeGreaterThanOrEqual(1);
  expect(runs['attempts-log']).toBeLessThanOrEqual(crowd.length);

  // Ann adding it again is refused too: it sits in her checkout but can no longer be bought. Her checkout
  // keeps it, and her purchase reports it as sold out while buying the rest.
  const again = await checkout('ann', gone!);
  expect([again.status, again.body.code]).toEqual([409, 'item_sold_out']);
  const annMore = await checkout('ann', other!);
  expect(annMore.body.items).toEqual([gone, other]);

  // A pause does not hide that the item is gone; an item still for sale is refused as paused.
  const pause = t.app.get(PauseSaleUseCase);
  expect((await pause.pause(sale.id as SaleId)).ok).toBe(true);
  const duringPause = [await checkout('cy', gone!), await checkout('cy', other!)];
  expect(duringPause.map((r) => r.body.code)).toEqual(['item_sold_out', 'sale_paused']);
  expect((await pause.resume(sale.id as SaleId)).ok).toBe(true);

  const bought = await request(t.url).post('/purchase').query({ code: annMore.body.code });
  expect(bought.body).toMatchObject({ purchased: [other], failed: [{ id: gone, reason: 'item_sold_out' }] });

  // Every refusal is in checkout_attempts, one row per request, with the right user and item ...
  const refusedUsers = ['first', ...crowd.map((_, i) => `crowd-${i}`), 'ann', 'cy'].sort();
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
