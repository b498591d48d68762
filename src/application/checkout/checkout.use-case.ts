import { Injectable } from '@nestjs/common';
import { Checkout } from '../../domain/checkout/checkout';
import { composeCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { RejectionCode, reject } from '../../domain/shared/rejection';
import { err, ok } from '../../domain/shared/result';
import { UserId } from '../../domain/user/user-id.value-object';
import { CheckoutAttemptLog } from '../analytics/checkout-attempt-log.port';
import { Clock } from '../shared/clock.port';
import { IdGenerator } from '../shared/id-generator.port';
import { idempotencyScope } from '../shared/idempotency-scope';
import { Metrics } from '../observability/metrics.port';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { SoldOutItems } from '../sales/sold-out-items.service';
import { Outcome } from '../shared/outcome';
import { CheckoutLedger } from './checkout-ledger.port';

export interface CheckoutCommand {
  readonly userId: UserId;
  readonly itemId: ItemId;
  /** The client's Idempotency-Key, if it sent one. */
  readonly idempotencyKey?: string;
}

/** Adds an item of the running sale to the user's open checkout (one per user and sale). */
@Injectable()
export class CheckoutUseCase {
  constructor(
    private readonly calendar: SaleCalendar,
    private readonly soldOut: SoldOutItems,
    private readonly ledger: CheckoutLedger,
    private readonly attempts: CheckoutAttemptLog,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async execute({ userId, itemId, idempotencyKey }: CheckoutCommand): Promise<Outcome<Checkout>> {
    const now = this.clock.now();
    const route = this.calendar.checkoutRoute(itemId, now);
    // An item of a sale that has not started: answered here, without the ledger, so clients that come early
    // are told when to come back at almost no cost.
    if ('notStarted' in route) {
      const early = route.notStarted;
      await this.attempts.logWithoutSale(userId, itemId, RejectionCode.SaleNotStarted, early.id);
      this.metrics.checkout(RejectionCode.SaleNotStarted);
      const retryAfter = early.window.secondsUntilStart(now);
      return { result: err(reject(RejectionCode.SaleNotStarted, undefined, retryAfter)), replayed: false };
    }
    const sale = route.sale;
    if (!sale) {
      // Nothing happens without a sale, so there is nothing for an idempotency key to protect here.
      await this.attempts.logWithoutSale(userId, itemId, RejectionCode.NoActiveSale);
      this.metrics.checkout(RejectionCode.NoActiveSale);
      const next = this.calendar.nextAfter(now);
      return {
        result: err(reject(RejectionCode.NoActiveSale, undefined, next?.window.secondsUntilStart(now))),
        replayed: false,
      };
    }
    // A checkout the ledger has already refused for good (its item sold out, or the sale's cap reached)
    // almost surely still is: the ledger's cheap batched check confirms it (and records the refusal) instead
    // of a full checkout. If it disagrees (stock rebuilt after Redis lost data; or, for the cap, a pause or an
    // item already in the buyer's checkout, which the full checkout answers), the checkout runs in full, which
    // also corrects the hint. With an Idempotency-Key the full checkout always runs, as it stores the reply.
    const itemSoldOut = this.soldOut.has(sale.id, itemId);
    if (!idempotencyKey && (itemSoldOut || this.soldOut.capReached(sale.id))) {
      const refusal = await this.ledger.refuseSoldOut(sale.id, userId, itemId);
      if (refusal) {
        this.metrics.checkout(refusal);
        return { result: err(reject(refusal)), replayed: false };
      }
      if (itemSoldOut) this.soldOut.forget(sale.id, itemId);
    }
    const idempotency = idempotencyKey
      ? { key: idempotencyScope('checkout', userId, idempotencyKey), fingerprint: `item=${itemId}` }
      : null;
    const code = composeCheckoutCode(sale.id, this.ids.checkoutToken());
    const { result, replayed } = await this.ledger.checkout(sale.id, userId, itemId, code, idempotency);
    if (!replayed) this.metrics.checkout(result.kind === 'ok' ? 'accepted' : result.reason);
    if (result.kind === 'rejected' && result.reason === RejectionCode.ItemSoldOut) this.soldOut.learn(sale.id, itemId);
    if (result.kind === 'rejected' && result.reason === RejectionCode.SaleSoldOut) this.soldOut.learnCapReached(sale.id);
    if (result.kind === 'ok' && result.added) this.soldOut.forgetCapReached(sale.id);
    if (result.kind === 'rejected') {
      const retryAfter =
        result.reason === RejectionCode.SaleNotStarted
          ? sale.window.secondsUntilStart(now)
          : result.reason === RejectionCode.SalePaused || result.reason === RejectionCode.IdempotencyKeyInUse
            ? 1
            : result.reason === RejectionCode.NoActiveSale
              ? // The ledger's own answer (the sale just ended by its clock, or is not loaded): as the instance's.
                this.calendar.nextAfter(now)?.window.secondsUntilStart(now)
              : undefined;
      return { result: err(reject(result.reason, undefined, retryAfter)), replayed };
    }
    return { result: ok({ code: result.code, saleId: sale.id, items: result.items, expiresAt: result.expiresAt }), replayed };
  }
}
