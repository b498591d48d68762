import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { PurchaseFailureReason, PurchaseRejectionCode } from '../../domain/sale/sale-rules';
import { RejectionCode } from '../../domain/shared/rejection';
import { UserId } from '../../domain/user/user-id.value-object';
import { Answer, IdempotencyRefusal, IdempotencyRequest } from '../shared/idempotency';

export type LedgerPurchaseResult =
  | {
      readonly kind: 'done';
      /** False when the code was already spent and this is its stored result. */
      readonly firstTime: boolean;
      readonly orderId: string | null;
      readonly purchased: ItemId[];
      readonly failed: { id: ItemId; reason: PurchaseFailureReason }[];
    }
  | { readonly kind: 'rejected'; readonly reason: PurchaseRejectionCode | IdempotencyRefusal };

/** How the ledger refuses a purchase that comes after its sale's end without running it (refuseEnded). */
export type EndedPurchaseRefusal = typeof RejectionCode.CheckoutNotFound | typeof RejectionCode.SaleEnded;

/**
 * The hot path's purchase step in the live state of sales (Redis): buys a checkout in one atomic step (the
 * rules of purchaseItemVerdict()), spends its code and appends the order to the outbox in the same step.
 */
export abstract class PurchaseLedger {
  /** `buyer`: the authenticated user, who must own the checkout (null when user ids are trusted as given). */
  abstract purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>>;

  /**
   * For a purchase believed to come after its sale's end: its refusal as purchase() would answer it
   * (checkout_not_found, or sale_ended on the ledger's clock), or null when purchase() must run (a spent
   * code, whose stored result it answers again; a sale not ended on the ledger's clock). Writes nothing.
   */
  abstract refuseEnded(saleId: SaleId, code: CheckoutCode, buyer: UserId | null): Promise<EndedPurchaseRefusal | null>;
}
