import http from 'node:http';
import { Client } from 'pg';
import { inPool, pgOrders, timedRequest } from './faults';

/*
 * A purchase storm for the fleet's fault tests: buyers who check out and then buy, and who, like the
 * storefront, retry a purchase with the same code when the answer is a 503 or no answer at all (the same code
 * never buys twice: it answers its stored result). Every attempt is recorded, so a test can say what clients
 * saw while a process or a Redis primary died, and then check what PostgreSQL ended up with.
 */

export interface Attempt {
  readonly at: number;
  readonly ms: number;
  readonly status?: number;
  readonly error?: string;
}

export interface Buyer {
  readonly user: string;
  readonly items: number[];
  code?: string;
  readonly attempts: Attempt[];
  /** The final 200 answer to the purchase, once there is one. */
  result?: { orderId: string | null; purchased: number[]; at: number };
}

export function buyersFor(prefix: string, items: readonly number[], count: number, from = 0): Buyer[] {
  return Array.from({ length: count }, (_, i) => ({ user: `${prefix}-${i}`, items: [items[(from + i) % items.length]!], attempts: [] }));
}

/** Checks every buyer out (must succeed: run it while everything is up). */
export async function checkOut(base: string, agent: http.Agent, buyers: Buyer[], width = 50): Promise<void> {
  await inPool(buyers, width, async (b) => {
    for (const item of b.items) {
      const r = await timedRequest(agent, 'POST', `${base}/checkout?user_id=${b.user}&id=${item}`);
      if (r.status !== 200) throw new Error(`checkout ${b.user} ${item}: ${r.status ?? r.error} ${JSON.stringify(r.body)}`);
      b.code = r.body.code;
    }
  });
}

/**
 * Buys for every buyer, `width` at a time, retrying on 503 or a lost answer every `retryMs` until a 200 or
 * `deadline` (ms since the epoch). `onAnswer` sees each answer (a test kills something after the n-th).
 */
export async function purchaseWithRetries(
  base: string,
  agent: http.Agent,
  buyers: Buyer[],
  options: { width: number; deadline: number; retryMs?: number; onAnswer?: (a: Attempt) => void; requestTimeoutMs?: number },
): Promise<void> {
  await inPool(buyers, options.width, async (b) => {
    while (!b.result && Date.now() < options.deadline) {
      const r = await timedRequest(
        agent,
        'POST',
        `${base}/purchase?code=${encodeURIComponent(b.code!)}`,
        options.requestTimeoutMs ?? 15_000,
      );
      const attempt = { at: r.at, ms: r.ms, status: r.status, error: r.error };
      b.attempts.push(attempt);
      options.onAnswer?.(attempt);
      if (r.status === 200) {
        b.result = { orderId: r.body.orderId, purchased: r.body.purchased, at: r.at };
      } else if (r.status === undefined || r.status === 503) {
        await new Promise((res) => setTimeout(res, options.retryMs ?? 100));
      } else {
        throw new Error(`purchase ${b.user}: unexpected ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });
}

/**
 * Every purchase acknowledged with items must be exactly one order in PostgreSQL with exactly those items,
 * one acknowledged without items no order, and no item may be acknowledged to two buyers. Returns what is wrong.
 */
export async function acknowledgedVersusOrders(pg: Client, saleId: number, buyers: readonly Buyer[]): Promise<string[]> {
  const orders = await pgOrders(pg, saleId);
  const byCode = new Map([...orders.values()].map((o) => [o.code, o]));
  const wrong: string[] = [];
  const soldTo = new Map<number, string>();
  for (const b of buyers) {
    if (!b.result) continue;
    const order = byCode.get(b.code!);
    if (b.result.orderId === null) {
      if (order) wrong.push(`${b.user}: acknowledged with nothing bought, but order ${order.orderId} exists`);
      continue;
    }
    const purchased = [...b.result.purchased].sort((x, y) => x - y);
    if (!order || order.orderId !== b.result.orderId || order.items.join(',') !== purchased.join(','))
      wrong.push(`${b.user}: acknowledged ${b.result.orderId} [${purchased}] but PostgreSQL has ${JSON.stringify(order)}`);
    for (const item of purchased) {
      if (soldTo.has(item)) wrong.push(`item ${item} acknowledged to ${soldTo.get(item)} and ${b.user}`);
      soldTo.set(item, b.user);
    }
  }
  return wrong;
}

/** Items in more than one order of the sale, per PostgreSQL. */
export async function itemsInTwoOrders(pg: Client, saleId: number): Promise<number> {
  const { rows } = await pg.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT oi.item_id FROM order_items oi JOIN orders o ON o.id = oi.order_id
      WHERE o.sale_id = $1 GROUP BY oi.item_id, oi.unit HAVING count(*) > 1) d`,
    [saleId],
  );
  return rows[0]!.n;
}

/** Counts of answers by status (or error) after `since`. */
export function answersBy(buyers: readonly Buyer[], from: number, to = Infinity): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of buyers)
    for (const a of b.attempts) if (a.at >= from && a.at < to) counts[a.status ?? a.error!] = (counts[a.status ?? a.error!] ?? 0) + 1;
  return counts;
}
