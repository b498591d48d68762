import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode } from '../../domain/sale/sale-rules';
import { UserId } from '../../domain/user/user-id.value-object';
import { Answer, IdempotencyRefusal, IdempotencyRequest } from '../shared/idempotency';

export type LedgerCheckoutResult =
  | { readonly kind: 'ok'; readonly code: CheckoutCode; readonly items: ItemId[]; readonly expiresAt: Date; readonly added: boolean }
  | { readonly kind: 'rejected'; readonly reason: CheckoutRejectionCode | IdempotencyRefusal };

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
   * A checkout of an item believed sold out, without an idempotency key. If checkout() would refuse it as
   * item_sold_out, it is refused so (logged and tallied as checkout() logs it) and the answer is true;
   * otherwise nothing changes and the answer is false. Much cheaper than checkout(): the calls made in one
   * turn of the event loop share one round trip.
   */
  abstract refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<boolean>;
}
