import { EDGES, MAIN, RATE_LIMITED, RATE_LIMITED_SESSION } from '../lib/instances';
import { call } from '../lib/http';
import { log, sleep } from '../lib/processes';
import { SaleView, buyEach, checkout, createSale, itemIds, mainSale, soldOutItems, writeList } from '../lib/sales';
import { TARGETS } from '../lib/settings';
import type { Ctx, LoadScenario } from '../lib/scenario';
import type { WrkLoad } from '../lib/wrk';

/*
 * Final refusals: answers that will not change, which is nearly all of the traffic once a sale is over or
 * sold out. Each request is a new buyer (or a known code), and every answer must be the 409 named.
 *   item_sold_out   on the main sale, of items bought out first (lib/sales.ts: soldOutItems)
 *   the others      in the "edges" world, whose sales the bench creates through the admin API: one that
 *                   ends seconds after its checkouts were made, one that opens hours later, and one whose
 *                   cap is reached. Order matters: once the capped sale is open, a checkout no longer finds
 *                   "no active sale", so that scenario comes last.
 */

const HOUR = 3_600_000;
/** How long the sale that ends lasts: long enough to make its checkouts in. */
const ENDING_SALE_MS = 8_000;
const CODES = 200;
const CAP = 100;

/** flashsale_rate_limited_total of the buy group answered from memory, on the app's /metrics. */
async function memoryRefusals(port: number): Promise<number> {
  const m = /^flashsale_rate_limited_total\{group="buy",answered_from="memory"\} (\d+)/m.exec((await call(port, 'GET', '/metrics')).body);
  return m ? Number(m[1]) : 0;
}

/** RATE_LIMIT_BUY_USER's default, which the rate-limited instance keeps (and its per-address limit with sessions). */
const BOT_QUOTA = 30;

/**
 * Not one of the final refusals (a window frees), so no target: what a bot hammering past its limit
 * costs, answered from the window the instance saw full (FullWindows), as Redis would answer it. The bot
 * spends its quota first (each answered `letIn`); wrk then sends its request again and again.
 */
function pastItsLimit(
  name: string,
  label: string,
  on: LoadScenario['on'],
  bot: (ctx: Ctx) => Promise<{ path: string; authorization?: string; letIn: number }>,
): LoadScenario {
  return {
    name,
    group: 'refusals',
    label,
    on,
    load: async (ctx) => {
      const { path, authorization, letIn } = await bot(ctx);
      const headers = authorization ? { authorization } : undefined;
      for (let i = 0; i < BOT_QUOTA; i++) {
        const r = await call(ctx.server.port, 'POST', path, { headers });
        if (r.status !== letIn) throw new Error(`the bot's checkout ${i + 1} answered ${r.status}: ${r.body.slice(0, 200)}`);
      }
      const over = await call(ctx.server.port, 'POST', path, { headers });
      if (over.status !== 429) throw new Error(`the bot's checkout past its quota answered ${over.status}, not 429`);
      return {
        script: 'limited',
        path,
        method: 'POST',
        vars: authorization ? { WRK_AUTHORIZATION: authorization } : undefined,
        expect: { status: 429 },
      };
    },
    // The row must measure refusals from memory: the app's own counter says how many there were.
    around: async (ctx, measure) => {
      const before = await memoryRefusals(ctx.server.port);
      const row = await measure();
      const fromMemory = (await memoryRefusals(ctx.server.port)) - before;
      const refused = row.run?.statuses['429'] ?? 0;
      row.notes.push(
        `${fromMemory} refusals answered from memory (warm-ups and bare runs included) for ${refused} 429s measured; ` +
          `${row.run?.counters.accepted ?? 0} requests let in again as the window slid`,
      );
      if (fromMemory < 0.9 * refused) row.problems.push(`only ${fromMemory} of ${refused} rate_limited refusals were answered from memory`);
      return row;
    },
  };
}

const refused = (code: string): WrkLoad['expect'] => ({ status: 409, body: `"code":"${code}"` });

function refusal(name: string, label: string, on: LoadScenario['on'], load: LoadScenario['load']): LoadScenario {
  return { name, group: 'refusals', label, on, target: TARGETS.finalRefusal, load };
}

interface Edges {
  readonly endedItems: string;
  readonly endedCodes: string;
  readonly laterItems: string;
  readonly later: SaleView;
}

/** A sale that ended (with open checkouts made while it ran) and one that opens in two hours. */
function edges(ctx: Ctx): Promise<Edges> {
  return ctx.world.once('edges', async () => {
    const port = ctx.server.port;
    const now = Date.now();
    const terms = { saleCap: 100_000_000, perUserLimit: 10, unitsPerItem: 1000 };
    const ending = await createSale(port, { startsAt: new Date(now), endsAt: new Date(now + ENDING_SALE_MS), items: 100, ...terms });
    const later = await createSale(port, { startsAt: new Date(now + 2 * HOUR), endsAt: new Date(now + 3 * HOUR), items: 1000, ...terms });
    ctx.world.saleIds.add(ending.id);
    const items = await itemIds(port, ending.id);
    const codes = await Promise.all(Array.from({ length: CODES }, (_, i) => checkout(port, `e${i}`, items[i % items.length]!)));
    const endsAt = Date.parse(ending.endsAt);
    if (Date.now() >= endsAt) throw new Error(`sale ${ending.id} ended before its ${CODES} checkouts were made`);
    log(`sale ${ending.id}: ${CODES} checkouts made; waiting ${((endsAt - Date.now()) / 1000).toFixed(1)} s for it to end`);
    await sleep(endsAt - Date.now() + 1500);
    return {
      endedItems: writeList('edges-ended-items', items),
      endedCodes: writeList('edges-ended-codes', codes),
      laterItems: writeList('edges-later-items', await itemIds(port, later.id)),
      later,
    };
  });
}

/** A sale open now whose cap is reached: its first CAP items bought, one unit each; the others' file. */
function capped(ctx: Ctx): Promise<string> {
  return ctx.world.once('capped', async () => {
    const { later } = await edges(ctx);
    const port = ctx.server.port;
    const endsAt = new Date(Math.min(Date.now() + HOUR, Date.parse(later.startsAt)));
    const sale = await createSale(port, { startsAt: new Date(), endsAt, items: 1000, saleCap: CAP, perUserLimit: 10, unitsPerItem: 1 });
    ctx.world.saleIds.add(sale.id);
    const items = await itemIds(port, sale.id);
    log(`sale ${sale.id}: buying ${CAP} units to reach its cap`);
    await buyEach(port, items.slice(0, CAP), 'k');
    const view = JSON.parse((await call(port, 'GET', `/sales/${sale.id}`)).body) as SaleView;
    if (view.itemsSold !== CAP) throw new Error(`sale ${sale.id}: ${view.itemsSold} sold, expected its cap ${CAP}`);
    return writeList('edges-capped-unsold', items.slice(CAP));
  });
}

export const REFUSALS: readonly LoadScenario[] = [
  refusal('refusal-item-sold-out', 'POST /checkout refused item_sold_out', MAIN, async (ctx) => ({
    script: 'checkout',
    path: '/',
    vars: { WRK_ITEMS: await soldOutItems(ctx) },
    expect: refused('item_sold_out'),
  })),
  refusal('refusal-no-active-sale', 'POST /checkout after the sale ended: refused no_active_sale', EDGES, async (ctx) => ({
    script: 'checkout',
    path: '/',
    vars: { WRK_ITEMS: (await edges(ctx)).endedItems },
    expect: refused('no_active_sale'),
  })),
  refusal('refusal-sale-ended', 'POST /purchase of a code whose sale ended: refused sale_ended', EDGES, async (ctx) => ({
    script: 'purchase',
    path: '/',
    vars: { WRK_CODES: (await edges(ctx)).endedCodes },
    expect: refused('sale_ended'),
  })),
  refusal('refusal-not-started', 'POST /checkout refused sale_not_started (an item of a later sale)', EDGES, async (ctx) => ({
    script: 'checkout',
    path: '/',
    vars: { WRK_ITEMS: (await edges(ctx)).laterItems },
    expect: refused('sale_not_started'),
  })),
  refusal('refusal-sale-sold-out', 'POST /checkout refused sale_sold_out (the cap reached)', EDGES, async (ctx) => ({
    script: 'checkout',
    path: '/',
    vars: { WRK_ITEMS: await capped(ctx) },
    expect: refused('sale_sold_out'),
  })),
  pastItsLimit(
    'refusal-rate-limited',
    `POST /checkout by one buyer past its limit (${BOT_QUOTA}/10s): refused rate_limited, RATE_LIMIT=on`,
    RATE_LIMITED,
    async (ctx) => ({ path: `/checkout?user_id=bench-bot-${Date.now()}&id=${(await mainSale(ctx)).pool[0]}`, letIn: 200 }),
  ),
  // The same bot with forged sessions, from one address past its limit: refused before its session is read.
  pastItsLimit(
    'refusal-rate-limited-forged',
    `POST /checkout with forged sessions from one address past its limit (${BOT_QUOTA}/10s): refused rate_limited, AUTH_MODE=session`,
    RATE_LIMITED_SESSION,
    async (ctx) => ({
      path: `/checkout?id=${(await mainSale(ctx)).pool[0]}`,
      authorization: `Bearer bench-forged-session-${Date.now()}`,
      letIn: 401,
    }),
  ),
];

export const itemSoldOut = REFUSALS[0]!;
