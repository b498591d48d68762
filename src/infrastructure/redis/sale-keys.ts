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
    /** Shard channel (SPUBLISH/SSUBSCRIBE) of the sale's live events; same slot as its keys. */
    events: `${tag}:events`,
    /** One Idempotency-Key's record (`hash` of the scoped key). */
    idempotency: (hash: string) => `${tag}:idem:${hash}`,
  } as const;
}

/** Sorted set: sale id scored by its end time, with the sale's plan in a hash beside it. */
export const REGISTRY_KEY = 'flashsale:sales';
export const REGISTRY_PLANS_KEY = 'flashsale:sale-plans';
/** Checkout attempts made while no sale was open. */
export const ATTEMPTS_WITHOUT_SALE_KEY = 'flashsale:attempts';
export const LEASE_PREFIX = 'flashsale:lease:';
