import { SaleId } from '../../domain/sale/sale-id.value-object';

/**
 * Redis key names. Every key of one sale carries the hash tag {sale:<id>}, so they live in one Cluster slot
 * and a script may touch them all. Keys outside a sale are only ever used by single-key commands.
 */
export function saleKeys(saleId: SaleId | number) {
  const tag = `{sale:${saleId}}`;
  return {
    meta: `${tag}:meta`,
    stock: `${tag}:stock`,
    bought: `${tag}:bought`,
    open: `${tag}:open`,
    checkouts: `${tag}:checkouts`,
    attempts: `${tag}:attempts`,
    outbox: `${tag}:outbox`,
    stats: `${tag}:stats`,
    /** Written before each replica confirmation (WAIT) of the sale's shard: see redis-replica-confirmation.ts. */
    fence: `${tag}:fence`,
    /** The waiting line (scripts/lua/line-*.lua): waiting buyers, admitted buyers, heartbeats, state, joins, waits. */
    line: `${tag}:line`,
    lineAdmitted: `${tag}:line:admitted`,
    lineSeen: `${tag}:line:seen`,
    lineState: `${tag}:line:state`,
    lineJoined: `${tag}:line:joined`,
    lineJoins: `${tag}:line:joins`,
    lineWaits: `${tag}:line:waits`,
    /** One Idempotency-Key's record (`hash` of the scoped key). */
    idempotency: (hash: string) => `${tag}:idem:${hash}`,
  } as const;
}

/**
 * Shard channel (SPUBLISH/SSUBSCRIBE) of a sale's live events; same slot as its keys. Pub/sub ignores the
 * database index, so the channel names it: tests on their own index (and a second service sharing a Redis on
 * another one) must not push events into this one's buyer pages, where sale ids repeat.
 */
export function saleEventsChannel(saleId: SaleId | number, db: number): string {
  return `{sale:${saleId}}:events:db${db}`;
}

/** Sorted set: sale id scored by its end time, with the sale's plan in a hash beside it (one slot: one MULTI). */
export const REGISTRY_KEY = '{flashsale:registry}:sales';
export const REGISTRY_PLANS_KEY = '{flashsale:registry}:plans';
/** Checkout attempts made while no sale was open. */
export const ATTEMPTS_WITHOUT_SALE_KEY = 'flashsale:attempts';
export const LEASE_PREFIX = 'flashsale:lease:';
