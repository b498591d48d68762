import { Injectable } from '@nestjs/common';
import { EndedPurchaseRefusal, LedgerPurchaseResult, PurchaseLedger } from '../../application/purchase/purchase-ledger.port';
import { Answer, IdempotencyRequest } from '../../application/shared/idempotency';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { LedgerSettings } from './ledger-settings';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleReadCache } from './sale-read-cache';
import { runIdempotently } from './redis-idempotency';
import { saleEventsChannel, saleKeys } from './sale-keys';
import { decodeEndedVerdicts, decodePurchase, decodePurchaseBatch } from './script-replies';
import { TurnBatches, argsOf } from './turn-batches';

/** At most this many purchases per purchase-ended.lua call, so one call never holds Redis for long. */
const MAX_ENDED_PER_CALL = 500;
/** At most this many per purchase-batch.lua call: small calls let Redis start while this process reads the turn's rest. */
const MAX_PURCHASES_PER_CALL = 16;

/**
 * Purchase on Redis: one atomic step per purchase that also appends the order to the outbox. A turn's purchases
 * without an Idempotency-Key go through purchase-batch.lua together; those with one through purchase.lua;
 * purchase-ended.lua checks purchases that come after their sale's end.
 */
@Injectable()
export class RedisPurchaseLedger extends PurchaseLedger {
  /** Purchases without an Idempotency-Key, per sale, for the next purchase-batch.lua call. */
  private readonly purchases = new TurnBatches<string[], LedgerPurchaseResult>(MAX_PURCHASES_PER_CALL, (sale, calls) => {
    const saleId = Number(sale) as SaleId;
    const k = saleKeys(saleId);
    const keys = [k.meta, k.stock, k.bought, k.open, k.checkouts, k.outbox, k.stats, saleEventsChannel(saleId, this.redis.db)];
    return this.redis
      .bounded(runScript(this.redis.command, 'purchase-batch', keys, [String(this.settings.retentionMs), ...argsOf(calls)]))
      .then((reply) => decodePurchaseBatch(reply, calls.length));
  });
  /** Purchases believed to come after their sale's end, per sale, for the next purchase-ended.lua call. */
  private readonly ended = new TurnBatches<string[], EndedPurchaseRefusal | null>(MAX_ENDED_PER_CALL, (saleId, calls) => {
    const k = saleKeys(Number(saleId) as SaleId);
    return this.redis
      .bounded(runScript(this.redis.command, 'purchase-ended', [k.meta, k.checkouts], argsOf(calls)))
      .then((reply) => decodeEndedVerdicts(reply, calls.length));
  });

  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: LedgerSettings,
  ) {
    super();
  }

  async purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>> {
    if (!idempotency) {
      const result = await this.purchases.add(String(saleId), [code, orderIdIfBought, buyer ?? '']);
      saleReadCache(this.redis).forget(saleId);
      return { result, replayed: false };
    }
    const k = saleKeys(saleId);
    const { reply, replayed } = await runIdempotently(this.redis, saleId, idempotency, (idemKey, token) =>
      runScript(
        this.redis.command,
        'purchase',
        [k.meta, k.stock, k.bought, k.open, k.checkouts, k.outbox, idemKey, k.stats, saleEventsChannel(saleId, this.redis.db)],
        [code, orderIdIfBought, this.settings.retentionMs, token, this.settings.idempotencyTtlMs, buyer ?? ''],
      ),
    );
    // This instance reads its own writes: recent reads of the sale no longer answer.
    saleReadCache(this.redis).forget(saleId);
    return { result: decodePurchase(reply), replayed };
  }

  /** Batched like RedisCheckoutLedger.refuseSoldOut: one purchase-ended.lua call per sale and turn serves them all. */
  refuseEnded(saleId: SaleId, code: CheckoutCode, buyer: UserId | null): Promise<EndedPurchaseRefusal | null> {
    return this.ended.add(String(saleId), [code, buyer ?? '']);
  }
}
