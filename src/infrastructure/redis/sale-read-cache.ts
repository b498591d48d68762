import { RecentAnswers } from '../../application/shared/recent-answers';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RedisConnections } from './redis-connections';

const MAX_KEYS_PER_SALE = 2_000;

/**
 * Recent answers of plain reads of a sale's keys, for public pages that accept a bounded age. What this
 * instance changes itself (a purchase, a pause, a load) drops the sale's answers at once, so it reads its own
 * writes; other instances' changes show within the age the reader accepts.
 */
export class SaleReadCache {
  private readonly answers = new RecentAnswers<unknown>();
  private readonly keysBySale = new Map<SaleId, Set<string>>();

  read<T>(saleId: SaleId, key: string, maxAgeMs: number, load: () => Promise<T>): Promise<T> {
    if (maxAgeMs <= 0) return load();
    let keys = this.keysBySale.get(saleId);
    // Bounded like the answers themselves: pages asked with odd cursors and sizes cannot grow it for ever.
    if (keys && keys.size >= MAX_KEYS_PER_SALE) this.forget(saleId);
    if (!keys || !this.keysBySale.has(saleId)) this.keysBySale.set(saleId, (keys = new Set()));
    keys.add(key);
    return this.answers.get(key, maxAgeMs, load) as Promise<T>;
  }

  forget(saleId: SaleId): void {
    for (const key of this.keysBySale.get(saleId) ?? []) this.answers.forget(key);
    this.keysBySale.delete(saleId);
  }
}

const caches = new WeakMap<RedisConnections, SaleReadCache>();

/** The cache shared by every adapter on these connections (the read model reads, the writers forget). */
export function saleReadCache(redis: RedisConnections): SaleReadCache {
  let cache = caches.get(redis);
  if (!cache) caches.set(redis, (cache = new SaleReadCache()));
  return cache;
}
