import { Injectable } from '@nestjs/common';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { PurchaseOutcome } from '../../domain/purchase/purchase-outcome';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { IdGenerator } from '../ports/id-generator.port';
import { SaleLedger } from '../ports/sale-ledger.port';

export interface PurchaseCommand {
  readonly saleId: SaleId;
  readonly code: CheckoutCode;
}

const DETAIL = {
  [RejectionCode.CheckoutNotFound]: 'No checkout has this code.',
  [RejectionCode.SaleEnded]: 'The sale of this checkout has ended.',
  [RejectionCode.SalePaused]: 'The sale is paused; try again shortly.',
} as const;

/**
 * Buys every item of a checkout that can still be bought, in one atomic step, and spends the code. The
 * order reaches PostgreSQL later, through the outbox and the order queue.
 */
@Injectable()
export class PurchaseUseCase {
  constructor(
    private readonly ledger: SaleLedger,
    private readonly ids: IdGenerator,
  ) {}

  async execute({ saleId, code }: PurchaseCommand): Promise<Result<PurchaseOutcome, Rejection>> {
    const result = await this.ledger.purchase(saleId, code, this.ids.orderId());
    if (result.kind === 'rejected') {
      return err(reject(result.reason, DETAIL[result.reason], result.reason === RejectionCode.SalePaused ? 1 : undefined));
    }
    return ok({ orderId: result.orderId, saleId, purchased: result.purchased, failed: result.failed });
  }
}
