import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode, PurchaseFailureReason } from '../../domain/sale/sale-rules';
import { Sale } from '../../domain/sale/sale.entity';
import { UserId } from '../../domain/user/user-id.value-object';

export type LedgerCheckoutResult =
  | { readonly kind: 'ok'; readonly code: CheckoutCode; readonly items: ItemId[]; readonly expiresAt: Date; readonly added: boolean }
  | { readonly kind: 'rejected'; readonly reason: CheckoutRejectionCode };

export type LedgerPurchaseResult =
  | {
      readonly kind: 'done';
      readonly orderId: string | null;
      readonly purchased: ItemId[];
      readonly failed: { id: ItemId; reason: PurchaseFailureReason }[];
    }
  | { readonly kind: 'rejected'; readonly reason: 'checkout_not_found' | 'sale_ended' | 'sale_paused' };

export interface SaleLiveState {
  readonly sold: number;
  readonly paused: boolean;
}

export interface ItemStock {
  readonly id: ItemId;
  readonly unitsLeft: number;
}

/**
 * The live, authoritative state of sales (Redis). Checkout and purchase are single atomic steps here;
 * this is the only place the hot path goes.
 */
export abstract class SaleLedger {
  abstract checkout(saleId: SaleId, userId: UserId, itemId: ItemId, codeIfNew: CheckoutCode): Promise<LedgerCheckoutResult>;
  abstract purchase(saleId: SaleId, code: CheckoutCode, orderIdIfBought: string): Promise<LedgerPurchaseResult>;

  /** Null when the sale is not loaded. */
  abstract liveState(saleId: SaleId): Promise<SaleLiveState | null>;
  /** Units left per item, null for items the ledger does not hold. */
  abstract unitsLeft(saleId: SaleId, itemIds: readonly ItemId[]): Promise<(number | null)[]>;

  abstract isLoaded(saleId: SaleId): Promise<boolean>;
  /**
   * Loads a sale and its items, idempotently: items already present are left alone, and the sale is
   * published only once. Returns false when it was already loaded.
   */
  abstract load(sale: Sale, items: readonly ItemStock[], alreadySold: number): Promise<boolean>;
}
