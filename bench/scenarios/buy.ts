import { MAIN } from '../lib/instances';
import { mainSale } from '../lib/sales';
import { TARGETS } from '../lib/settings';
import type { Ctx, LoadScenario } from '../lib/scenario';
import type { WrkLoad } from '../lib/wrk';

/*
 * The buy paths on the main sale (every item has many units, so nothing runs out): an accepted checkout by
 * a new buyer each request, and checkout-then-purchase pairs (bench/wrk/pairs.lua). The costs group runs the
 * same loads on other instances.
 */

/** Each run starts somewhere else in the items, so purchases spread over them. */
const offset = (items: number) => String(Math.floor(Math.random() * items));

export async function checkoutLoad(ctx: Ctx): Promise<WrkLoad> {
  const sale = await mainSale(ctx);
  return {
    script: 'checkout',
    path: '/',
    vars: { WRK_ITEMS: sale.poolFile, WRK_ITEM_OFFSET: offset(sale.pool.length) },
    expect: { status: 200, body: '"code":"' },
  };
}

/**
 * Without `buyers`, a new buyer per pair. `tokens`: a file of bearer tokens of signed-in users
 * (AUTH_MODE=session); `users`: a file of user ids, the same few buyers in trusted mode.
 */
export async function pairsLoad(ctx: Ctx, buyers: { tokens?: string; users?: string } = {}): Promise<WrkLoad> {
  const sale = await mainSale(ctx);
  return {
    script: 'pairs',
    path: '/',
    vars: {
      WRK_ITEMS: sale.poolFile,
      WRK_ITEM_OFFSET: offset(sale.pool.length),
      WRK_TOKENS: buyers.tokens ?? '',
      WRK_USERS: buyers.users ?? '',
    },
    expect: { status: 200 },
  };
}

export const checkout: LoadScenario = {
  name: 'checkout',
  group: 'buy',
  label: 'POST /checkout accepted (a new buyer each request)',
  on: MAIN,
  target: TARGETS.acceptedCheckout,
  load: checkoutLoad,
};

export const pairs: LoadScenario = {
  name: 'pairs',
  group: 'buy',
  label: 'checkout then purchase of that code, alternating (a new buyer each pair)',
  on: MAIN,
  target: TARGETS.pairs,
  load: (ctx) => pairsLoad(ctx),
};

export const BUY: readonly LoadScenario[] = [checkout, pairs];
