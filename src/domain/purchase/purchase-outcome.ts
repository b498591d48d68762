import { ItemId } from '../sale/item-id.value-object';
import { SaleId } from '../sale/sale-id.value-object';
import { PurchaseFailureReason } from '../sale/sale-rules';

/**
 * What one purchase of a checkout did. It is stored with the spent checkout, so the same code sent again
 * gets exactly this back.
 */
export interface PurchaseOutcome {
  /** Null when nothing could be bought. */
  readonly orderId: string | null;
  readonly saleId: SaleId;
  readonly purchased: readonly ItemId[];
  readonly failed: readonly { readonly id: ItemId; readonly reason: PurchaseFailureReason }[];
}
