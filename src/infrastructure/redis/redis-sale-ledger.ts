import { Injectable } from '@nestjs/common';
import { ItemStock, LedgerCheckoutResult, LedgerPurchaseResult, SaleLedger, SaleLiveState } from '../../application/ports/sale-ledger.port';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode, PurchaseFailureReason } from '../../domain/sale/sale-rules';
import { Sale } from '../../domain/sale/sale.entity';
import { UserId } from '../../domain/user/user-id.value-object';
import { AppConfig } from '../config/app-config';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleKeys } from './sale-keys';

const LOAD_CHUNK = 2_000;

const ids = (csv: string): ItemId[] => (csv === '' ? [] : csv.split(',').map((s) => Number(s) as ItemId));

/** The sale ledger on Redis: each operation is one Lua script (scripts/lua/), atomic on the sale's keys. */
@Injectable()
export class RedisSaleLedger extends SaleLedger {
  private readonly retentionMs: number;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.retentionMs = config.SALE_RETENTION_SECONDS * 1000;
  }

  async checkout(saleId: SaleId, userId: UserId, itemId: ItemId, codeIfNew: CheckoutCode): Promise<LedgerCheckoutResult> {
    const k = saleKeys(saleId);
    const r = await runScript<string[]>(
      this.redis.command,
      'checkout',
      [k.meta, k.stock, k.bought, k.open, k.checkouts, k.attempts],
      [userId, itemId, codeIfNew, this.retentionMs],
    );
    if (r[0] !== 'ok') return { kind: 'rejected', reason: r[0] as CheckoutRejectionCode };
    return { kind: 'ok', code: r[1] as CheckoutCode, items: ids(r[2]!), expiresAt: new Date(Number(r[3])), added: r[4] === 'added' };
  }

  async purchase(saleId: SaleId, code: CheckoutCode, orderIdIfBought: string): Promise<LedgerPurchaseResult> {
    const k = saleKeys(saleId);
    const r = await runScript<string[]>(
      this.redis.command,
      'purchase',
      [k.meta, k.stock, k.bought, k.open, k.checkouts, k.outbox],
      [code, orderIdIfBought, this.retentionMs],
    );
    if (r[0] !== 'done') return { kind: 'rejected', reason: r[0] as 'checkout_not_found' | 'sale_ended' | 'sale_paused' };
    const failed =
      r[3] === ''
        ? []
        : r[3]!.split(',').map((f) => {
            const [id, reason] = f.split(':');
            return { id: Number(id) as ItemId, reason: reason as PurchaseFailureReason };
          });
    return { kind: 'done', orderId: r[1] === '' ? null : r[1]!, purchased: ids(r[2]!), failed };
  }

  async liveState(saleId: SaleId): Promise<SaleLiveState | null> {
    const [startsAt, sold, paused] = await this.redis.command.hmget(saleKeys(saleId).meta, 'startsAt', 'sold', 'paused');
    if (startsAt === null) return null;
    return { sold: Number(sold ?? 0), paused: paused === '1' };
  }

  async unitsLeft(saleId: SaleId, itemIds: readonly ItemId[]): Promise<(number | null)[]> {
    if (itemIds.length === 0) return [];
    const left = await this.redis.command.hmget(saleKeys(saleId).stock, ...itemIds.map(String));
    return left.map((v) => (v === null ? null : Number(v)));
  }

  async isLoaded(saleId: SaleId): Promise<boolean> {
    return (await this.redis.background.exists(saleKeys(saleId).meta)) === 1;
  }

  async load(sale: Sale, items: readonly ItemStock[], alreadySold: number): Promise<boolean> {
    const k = saleKeys(sale.id);
    const redis = this.redis.background;
    // One pipelined round trip for all chunks: 10,000 items load in a few milliseconds.
    const pipeline = redis.pipeline();
    for (let i = 0; i < items.length; i += LOAD_CHUNK) {
      const args = items.slice(i, i + LOAD_CHUNK).flatMap((it) => [it.id, it.unitsLeft]);
      runScript(pipeline, 'sale-load-items', [k.stock], args);
    }
    runScript(
      pipeline,
      'sale-activate',
      [k.meta, k.stock],
      [
        sale.startsAt.getTime(),
        sale.endsAt.getTime(),
        sale.terms.itemsTotal,
        sale.terms.saleCap,
        sale.terms.perUserLimit,
        alreadySold,
        this.retentionMs,
      ],
    );
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    return results[results.length - 1]?.[1] === 1;
  }
}
