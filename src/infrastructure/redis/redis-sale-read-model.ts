import { Injectable } from '@nestjs/common';
import { SaleLiveState, SaleReadModel, SaleStats } from '../../application/sales/sale-read-model.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { saleKeys } from './sale-keys';

/** Plain reads of a sale's keys (fields as written by scripts/lua/checkout.lua and purchase.lua). */
@Injectable()
export class RedisSaleReadModel extends SaleReadModel {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async isLoaded(saleId: SaleId): Promise<boolean> {
    return (await this.redis.background.exists(saleKeys(saleId).meta)) === 1;
  }

  liveState(saleId: SaleId, maxAgeMs = 0): Promise<SaleLiveState | null> {
    return saleReadCache(this.redis).read(saleId, `live:${saleId}`, maxAgeMs, async () => {
      const [startsAt, sold, paused, switches] = await this.redis.command.hmget(
        saleKeys(saleId).meta,
        'startsAt',
        'sold',
        'paused',
        'switches',
      );
      if (startsAt === null) return null;
      return { sold: Number(sold ?? 0), paused: paused === '1', switches: Number(switches ?? 0) };
    });
  }

  async stats(saleId: SaleId): Promise<SaleStats> {
    const raw = await this.redis.command.hgetall(saleKeys(saleId).stats);
    const checkouts: Record<string, number> = {};
    const purchaseFailures: Record<string, number> = {};
    for (const [field, value] of Object.entries(raw)) {
      if (field.startsWith('c:')) checkouts[field.slice(2)] = Number(value);
      else if (field.startsWith('p:') && field !== 'p:purchased') purchaseFailures[field.slice(2)] = Number(value);
    }
    return { checkouts, purchaseFailures, purchasesAcknowledged: Number(raw.orders ?? 0), unitsPurchased: Number(raw['p:purchased'] ?? 0) };
  }

  async unitsBoughtBy(saleId: SaleId, userId: UserId): Promise<number> {
    return Number((await this.redis.command.hget(saleKeys(saleId).bought, userId)) ?? 0);
  }

  async unitsLeft(saleId: SaleId, itemIds: readonly ItemId[], maxAgeMs = 0): Promise<(number | null)[]> {
    if (itemIds.length === 0) return [];
    // Pages are keyed by their first and last id and size: a page of a sale always holds the same items.
    const key = `left:${saleId}:${itemIds[0]}:${itemIds[itemIds.length - 1]}:${itemIds.length}`;
    return saleReadCache(this.redis).read(saleId, key, maxAgeMs, async () => {
      const left = await this.redis.command.hmget(saleKeys(saleId).stock, ...itemIds.map(String));
      return left.map((v) => (v === null ? null : Number(v)));
    });
  }
}
