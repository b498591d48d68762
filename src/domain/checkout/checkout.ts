import { ItemId } from '../sale/item-id.value-object';
import { SaleId } from '../sale/sale-id.value-object';
import { CheckoutCode } from './checkout-code.value-object';

/** A user's open checkout in a sale: what they intend to buy. It reserves nothing. */
export interface Checkout {
  readonly code: CheckoutCode;
  readonly saleId: SaleId;
  readonly items: readonly ItemId[];
  /** A checkout stays usable until its sale ends. */
  readonly expiresAt: Date;
}
