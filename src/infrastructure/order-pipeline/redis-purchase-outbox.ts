import { Injectable } from '@nestjs/common';
import { OutboxBatch, PurchaseOutbox } from '../../application/order-pipeline/purchase-outbox.port';
import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RedisConnections } from '../redis/redis-connections';
import { saleKeys } from '../redis/sale-keys';
import { parseOrderLines, streamFields, streamIdAfter } from '../redis/stream-fields';

/** Reads the outbox stream the purchase script appends to (fields documented in scripts/lua/purchase.lua). */
@Injectable()
export class RedisPurchaseOutbox extends PurchaseOutbox {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async read(saleId: SaleId, max: number): Promise<OutboxBatch> {
    const entries = await this.redis.background.xrange(saleKeys(saleId).outbox, '-', '+', 'COUNT', max);
    const orders: Order[] = entries.map(([, flat]) => {
      const f = streamFields(flat);
      return {
        id: f.o!,
        saleId,
        userId: f.u!,
        checkoutCode: f.c!,
        lines: parseOrderLines(f.l!),
        purchasedAt: new Date(Number(f.t)),
      };
    });
    return { entryIds: entries.map(([id]) => id), orders };
  }

  /** The batch is the head of the outbox (read from "-"): trimmed past its last entry. */
  async acknowledge(saleId: SaleId, entryIds: readonly string[]): Promise<void> {
    const last = entryIds.at(-1);
    if (last !== undefined) await this.redis.background.xtrim(saleKeys(saleId).outbox, 'MINID', streamIdAfter(last));
  }

  length(saleId: SaleId): Promise<number> {
    return this.redis.command.xlen(saleKeys(saleId).outbox);
  }

  async lag(saleId: SaleId): Promise<{ length: number; oldestAgeMs: number | null }> {
    const key = saleKeys(saleId).outbox;
    const [length, oldest] = await Promise.all([this.redis.command.xlen(key), this.redis.command.xrange(key, '-', '+', 'COUNT', 1)]);
    // A stream entry id starts with the milliseconds at which it was added.
    const addedAt = oldest[0] ? Number(oldest[0][0].split('-')[0]) : null;
    return { length, oldestAgeMs: addedAt === null ? null : Math.max(0, Date.now() - addedAt) };
  }
}
