import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { call, callJson, inParallel } from './http';
import { RESULTS_DIR, log, waitFor } from './processes';
import { ADMIN_TOKEN, S, SOLD_OUT_ITEMS } from './settings';
import type { Ctx, Server } from './scenario';

/*
 * Sale set-up through the app's own API (the bench treats the app as a black box): the running sale and its
 * items, buying, admin-made sales. Lists wrk reads (item ids, codes, tokens) go to bench/results/tmp/.
 */

export interface SaleView {
  readonly id: number;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: string;
  readonly itemsTotal: number;
  readonly itemsSold: number;
}

const TMP_DIR = path.join(RESULTS_DIR, 'tmp');

/** Writes one value a line to bench/results/tmp/<name>.txt, for a wrk script; returns the file's path. */
export function writeList(name: string, values: readonly (string | number)[]): string {
  mkdirSync(TMP_DIR, { recursive: true });
  const file = path.join(TMP_DIR, `${name}.txt`);
  writeFileSync(file, `${values.join('\n')}\n`);
  return file;
}

/** Every item id of a sale, from GET /sales/:id/items a page of 1,000 at a time. */
export async function itemIds(port: number, saleId: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { id: number }[]; nextCursor: string | null } = await callJson(
      port,
      'GET',
      `/sales/${saleId}/items?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
      200,
    );
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

/** A checkout of one item for `user` (trusted mode): its code. */
export async function checkout(port: number, user: string, item: number): Promise<string> {
  return (await callJson<{ code: string }>(port, 'POST', `/checkout?user_id=${user}&id=${item}`, 200)).code;
}

/** Buys a code's items; fails unless something was bought. */
export async function purchase(port: number, code: string): Promise<void> {
  const r = await callJson<{ orderId: string | null }>(port, 'POST', `/purchase?code=${code}`, 200);
  if (!r.orderId) throw new Error(`purchase of ${code} bought nothing`);
}

/** Buys one unit of each item listed (an item may be listed again: a new user each), S.connections at a time. */
export async function buyEach(port: number, items: readonly number[], userPrefix: string): Promise<void> {
  await inParallel(items.length, S.connections, async (i) => purchase(port, await checkout(port, `${userPrefix}${i}`, items[i]!)));
}

/** POST /admin/sales: a sale of the operator's, created in PostgreSQL and loaded into Redis at once. */
export async function createSale(
  port: number,
  spec: { startsAt: Date; endsAt: Date; items: number; saleCap: number; perUserLimit: number; unitsPerItem: number },
): Promise<SaleView> {
  const json = { ...spec, startsAt: spec.startsAt.toISOString(), endsAt: spec.endsAt.toISOString() };
  return callJson<SaleView>(port, 'POST', '/admin/sales', 201, { json, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}

/** Waits until GET /sales/active answers (the scheduler makes the sale before serving, but may retry). */
export async function activeSale(server: Server): Promise<SaleView> {
  return waitFor(
    'a live sale',
    async () => {
      const r = await call(server.port, 'GET', '/sales/active');
      return r.status === 200 ? (JSON.parse(r.body) as SaleView) : undefined;
    },
    120_000,
    server.child,
  );
}

export interface MainSale {
  readonly id: number;
  readonly items: readonly number[];
  /** Items for buying: all but the first SOLD_OUT_ITEMS, which the item_sold_out refusal buys out. */
  readonly pool: readonly number[];
  readonly poolFile: string;
}

/** The main world's recurring sale: found once, shared by every instance of the world. */
export function mainSale(ctx: Ctx): Promise<MainSale> {
  return ctx.world.once('main-sale', async () => {
    const sale = await activeSale(ctx.server);
    const items = await itemIds(ctx.server.port, sale.id);
    if (items.length !== S.saleItems) throw new Error(`sale ${sale.id} has ${items.length} items, expected ${S.saleItems}`);
    ctx.world.saleIds.add(sale.id);
    log(`main sale ${sale.id}: ${items.length} items of ${S.unitsPerItem} units, ends ${sale.endsAt}`);
    const pool = items.slice(SOLD_OUT_ITEMS);
    return { id: sale.id, items, pool, poolFile: writeList('main-pool', pool) };
  });
}

/** The first SOLD_OUT_ITEMS items of the main sale, bought out (every unit, a new user each): their file. */
export function soldOutItems(ctx: Ctx): Promise<string> {
  return ctx.world.once('sold-out', async () => {
    const sale = await mainSale(ctx);
    const items = sale.items.slice(0, SOLD_OUT_ITEMS);
    log(`buying out ${items.length} items (${items.length * S.unitsPerItem} checkouts and purchases)`);
    await buyEach(
      ctx.server.port,
      items.flatMap((i) => Array<number>(S.unitsPerItem).fill(i)),
      'x',
    );
    const left = await ctx.data.stock(sale.id, items);
    if (left.some((n) => n !== 0)) throw new Error(`items not sold out after buying them out: ${left.join(', ')}`);
    return writeList('main-sold-out', items);
  });
}
