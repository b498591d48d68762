import { ItemId } from '../sale/item-id.value-object';
import { SaleId } from '../sale/sale-id.value-object';

/** One unit of an item bought in an order. `unit` is which of the item's units (1..stock) it is. */
export interface OrderLine {
  readonly itemId: ItemId;
  readonly unit: number;
}

/**
 * An acknowledged purchase on its way to PostgreSQL. Created by the purchase script, so its id is fixed
 * before it is written: writing it twice is a no-op.
 */
export interface Order {
  readonly id: string;
  readonly saleId: SaleId;
  readonly userId: string;
  readonly checkoutCode: string;
  readonly lines: readonly OrderLine[];
  readonly purchasedAt: Date;
}
