import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode } from '../../domain/sale/sale-rules';
import { RejectionCode } from '../../domain/shared/rejection';
import { UserId } from '../../domain/user/user-id.value-object';
import { Answer, IdempotencyRefusal, IdempotencyRequest } from '../shared/idempotency';

export type LedgerCheckoutResult =
  | { readonly kind: 'ok'; readonly code: CheckoutCode; readonly items: ItemId[]; readonly expiresAt: Date; readonly added: boolean }
  | { readonly kind: 'rejected'; readonly reason: CheckoutRejectionCode | IdempotencyRefusal };

/** The refusals that stay true once given during a sale: an item's stock only falls, the sale's tally only grows. */
export type SoldOutRefusal = typeof RejectionCode.ItemSoldOut | typeof RejectionCode.SaleSoldOut;

/**
 * The hot path's checkout step in the live, authoritative state of sales (Redis): one atomic step, the
 * rules of checkoutVerdict(). With an idempotency request, the key is checked and the answer stored in the
 * same atomic step as the work.
 */
export abstract class CheckoutLedger {
  abstract checkout(
    saleId: SaleId,
    userId: UserId,
    itemId: ItemId,
    codeIfNew: CheckoutCode,
    idempotency: IdempotencyRequest | null,
  ): Promise<Answer<LedgerCheckoutResult>>;
  /**
   * A checkout believed refused for good (its item sold out, or the sale's cap reached), without an
   * idempotency key. If checkout() would refuse it as item_sold_out or sale_sold_out, it is refused so
   * (logged and tallied as checkout() logs it) and the answer is that refusal; otherwise nothing changes and
   * the answer is null. Much cheaper than checkout(): the calls made in one turn of the event loop share one
   * round trip.
   */
  abstract refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<SoldOutRefusal | null>;
}
