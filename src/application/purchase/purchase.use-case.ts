import { Injectable } from '@nestjs/common';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { PurchaseOutcome } from '../../domain/purchase/purchase-outcome';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { RejectionCode, reject } from '../../domain/shared/rejection';
import { UserId } from '../../domain/user/user-id.value-object';
import { err, ok } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { IdGenerator } from '../shared/id-generator.port';
import { Metrics } from '../observability/metrics.port';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { SoldOutItems } from '../sales/sold-out-items.service';
import { Outcome } from '../shared/outcome';
import { ReplicaConfirmation } from '../shared/replica-confirmation.port';
import { PurchaseLedger } from './purchase-ledger.port';
import { idempotencyScope } from '../shared/idempotency-scope';

export interface PurchaseCommand {
  readonly saleId: SaleId;
  readonly code: CheckoutCode;
  /** The client's Idempotency-Key, if it sent one. */
  readonly idempotencyKey?: string;
  /** The authenticated buyer, who must own the checkout; absent when user ids come from a trusted upstream. */
  readonly buyer?: UserId;
}

/**
 * Buys every item of a checkout that can still be bought, in one atomic step, and spends the code. The
 * order reaches PostgreSQL later, through the outbox and the order queue.
 */
@Injectable()
export class PurchaseUseCase {
  constructor(
    private readonly ledger: PurchaseLedger,
    private readonly ids: IdGenerator,
    private readonly metrics: Metrics,
    private readonly soldOut: SoldOutItems,
    private readonly replicas: ReplicaConfirmation,
    private readonly calendar: SaleCalendar,
    private readonly clock: Clock,
  ) {}

  async execute({ saleId, code, idempotencyKey, buyer }: PurchaseCommand): Promise<Outcome<PurchaseOutcome>> {
    // A purchase after its sale's end is almost surely refused: the ledger's cheap batched check answers it
    // (on the ledger's clock) unless the code was spent (its stored result is answered again) or the sale
    // has not ended there after all; those, and every purchase with an Idempotency-Key (the full purchase
    // stores the reply), run in full.
    if (!idempotencyKey && this.calendar.find(saleId)?.window.phaseAt(this.clock.now()) === 'ended') {
      const refusal = await this.ledger.refuseEnded(saleId, code, buyer ?? null);
      if (refusal) return { result: err(reject(refusal)), replayed: false };
    }
    // Keys are the client's: scoped to the signed-in buyer, so two buyers who pick the same key never meet.
    // Without one (trusted mode) the code is the credential, and keys are scoped to the sale.
    const idempotency = idempotencyKey
      ? { key: idempotencyScope('purchase', buyer ?? null, idempotencyKey), fingerprint: `code=${code}` }
      : null;
    const { result, replayed } = await this.ledger.purchase(saleId, code, this.ids.orderId(), idempotency, buyer ?? null);
    if (result.kind === 'rejected') {
      const retryAfter = result.reason === RejectionCode.SalePaused || result.reason === RejectionCode.IdempotencyKeyInUse ? 1 : undefined;
      return { result: err(reject(result.reason, undefined, retryAfter)), replayed };
    }
    // Confirmed means kept: no 200 until a replica holds the purchase (or, answered again, its stored result),
    // so a failover cannot undo it. Throws ReplicaNotConfirmedError (503: retry with the same code) otherwise.
    await this.replicas.confirmSale(saleId, { in: 'checkouts', purchases: [{ code, orderId: result.orderId }] });
    for (const f of result.failed) {
      if (f.reason === RejectionCode.ItemSoldOut) this.soldOut.learn(saleId, f.id);
      if (f.reason === RejectionCode.SaleSoldOut) this.soldOut.learnCapReached(saleId);
    }
    // A spent code answers again with the same items: they are counted once, when they were bought.
    if (result.firstTime && !replayed) this.metrics.purchaseItems(result.purchased.length, countBy(result.failed.map((f) => f.reason)));
    return { result: ok({ orderId: result.orderId, saleId, purchased: result.purchased, failed: result.failed }), replayed };
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
