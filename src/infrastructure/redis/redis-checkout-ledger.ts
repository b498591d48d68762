import { Injectable } from '@nestjs/common';
import { CheckoutLedger, LedgerCheckoutResult, SoldOutRefusal } from '../../application/checkout/checkout-ledger.port';
import { Answer, IdempotencyRequest } from '../../application/shared/idempotency';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { LedgerSettings } from './ledger-settings';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { runIdempotently } from './redis-idempotency';
import { saleKeys } from './sale-keys';
import { TurnBatches, argsOf } from './turn-batches';
import { decodeCheckout, decodeCheckoutBatch, decodeSoldOutVerdicts } from './script-replies';

/** At most this many checkouts per checkout-sold-out.lua call, so one call never holds Redis for long. */
const MAX_SOLD_OUT_PER_CALL = 500;
/**
 * At most this many per checkout-batch.lua call. Smaller calls let Redis start on a turn's first checkouts
 * while this process still reads the rest: 16 gave 0.47-0.49 of the bare route where 100 gave 0.41-0.42
 * (BENCH_ONLY=checkout, alternated runs).
 */
const MAX_CHECKOUTS_PER_CALL = 16;

/**
 * Checkout on Redis: checkout-batch.lua for a turn's checkouts without an Idempotency-Key, checkout.lua for
 * those with one, and checkout-sold-out.lua for items or sales refused as sold out.
 */
@Injectable()
export class RedisCheckoutLedger extends CheckoutLedger {
  /** Checkouts without an Idempotency-Key, per sale, for the next checkout-batch.lua call. */
  private readonly checkouts = new TurnBatches<string[], LedgerCheckoutResult>(MAX_CHECKOUTS_PER_CALL, (saleId, calls) => {
    const k = saleKeys(Number(saleId) as SaleId);
    const keys = [k.meta, k.stock, k.bought, k.open, k.checkouts, k.attempts, k.stats];
    return this.redis
      .bounded(runScript(this.redis.command, 'checkout-batch', keys, [String(this.settings.retentionMs), ...argsOf(calls)]))
      .then((reply) => decodeCheckoutBatch(reply, calls.length));
  });
  /** Checkouts believed refused for good (item or sale sold out), per sale, for the next checkout-sold-out.lua call. */
  private readonly soldOut = new TurnBatches<string[], SoldOutRefusal | null>(MAX_SOLD_OUT_PER_CALL, (saleId, calls) => {
    const k = saleKeys(Number(saleId) as SaleId);
    const keys = [k.meta, k.stock, k.attempts, k.stats, k.open, k.checkouts];
    return this.redis
      .bounded(runScript(this.redis.command, 'checkout-sold-out', keys, argsOf(calls)))
      .then((reply) => decodeSoldOutVerdicts(reply, calls.length));
  });

  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: LedgerSettings,
  ) {
    super();
  }

  async checkout(
    saleId: SaleId,
    userId: UserId,
    itemId: ItemId,
    codeIfNew: CheckoutCode,
    idempotency: IdempotencyRequest | null,
  ): Promise<Answer<LedgerCheckoutResult>> {
    if (!idempotency) return { result: await this.checkouts.add(String(saleId), [userId, String(itemId), codeIfNew]), replayed: false };
    const k = saleKeys(saleId);
    const { reply, replayed } = await runIdempotently(this.redis, saleId, idempotency, (idemKey, token) =>
      runScript(
        this.redis.command,
        'checkout',
        [k.meta, k.stock, k.bought, k.open, k.checkouts, k.attempts, idemKey, k.stats],
        [userId, itemId, codeIfNew, this.settings.retentionMs, token, this.settings.idempotencyTtlMs],
      ),
    );
    return { result: decodeCheckout(reply), replayed };
  }

  /**
   * The calls made in one turn of the event loop go to Redis together after the turn's I/O (setImmediate):
   * one checkout-sold-out.lua call per sale serves them all. Each promise settles with that call, so a
   * request is answered only once its refusal is recorded.
   */
  refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<SoldOutRefusal | null> {
    return this.soldOut.add(String(saleId), [userId, String(itemId)]);
  }
}
