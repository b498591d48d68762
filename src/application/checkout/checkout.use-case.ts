import { Injectable } from '@nestjs/common';
import { Checkout } from '../../domain/checkout/checkout';
import { composeCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { UserId } from '../../domain/user/user-id.value-object';
import { CheckoutAttemptLog } from '../ports/checkout-attempt-log.port';
import { Clock } from '../ports/clock.port';
import { IdGenerator } from '../ports/id-generator.port';
import { SaleLedger } from '../ports/sale-ledger.port';
import { SaleCalendar } from '../sales/sale-calendar.service';

export interface CheckoutCommand {
  readonly userId: UserId;
  readonly itemId: ItemId;
}

const DETAIL: Record<string, string> = {
  [RejectionCode.NoActiveSale]: 'No sale is running right now.',
  [RejectionCode.SaleNotStarted]: 'The sale has not started yet.',
  [RejectionCode.SalePaused]: 'The sale is paused; try again shortly.',
  [RejectionCode.ItemNotFound]: 'This item is not part of the running sale.',
  [RejectionCode.ItemSoldOut]: 'This item is sold out.',
  [RejectionCode.SaleSoldOut]: 'The sale is sold out.',
  [RejectionCode.UserLimitReached]: 'Adding this item would exceed your limit for this sale.',
};

/** Adds an item of the running sale to the user's open checkout (one per user and sale). */
@Injectable()
export class CheckoutUseCase {
  constructor(
    private readonly calendar: SaleCalendar,
    private readonly ledger: SaleLedger,
    private readonly attempts: CheckoutAttemptLog,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async execute({ userId, itemId }: CheckoutCommand): Promise<Result<Checkout, Rejection>> {
    const now = this.clock.now();
    const sale = this.calendar.openAt(now);
    if (!sale) {
      await this.attempts.logWithoutSale(userId, itemId, RejectionCode.NoActiveSale);
      const next = this.calendar.nextAfter(now);
      return err(reject(RejectionCode.NoActiveSale, DETAIL[RejectionCode.NoActiveSale]!, next?.window.secondsUntilStart(now)));
    }
    const result = await this.ledger.checkout(sale.id, userId, itemId, composeCheckoutCode(sale.id, this.ids.checkoutToken()));
    if (result.kind === 'rejected') {
      const retryAfter = result.reason === RejectionCode.SaleNotStarted ? sale.window.secondsUntilStart(now) : undefined;
      return err(reject(result.reason, DETAIL[result.reason]!, retryAfter));
    }
    return ok({ code: result.code, saleId: sale.id, items: result.items, expiresAt: result.expiresAt });
  }
}
