import { Order } from '../../../src/domain/order/order.entity';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { Sale } from '../../../src/domain/sale/sale.entity';
import { NOW, itemOf } from './sale.mother';

let lastOrder = 0;

export interface OrderSpec {
  readonly id?: string;
  readonly userId?: string;
  /** Default: the sale's first item. */
  readonly items?: readonly ItemId[];
  /** The unit bought of each item (default 1: the last unit of a one-unit item). */
  readonly unit?: number;
  readonly purchasedAt?: Date;
}

/** An acknowledged order of the sale, as the purchase step makes it. */
export function anOrder(sale: Sale, spec: OrderSpec = {}): Order {
  const n = ++lastOrder;
  return {
    id: spec.id ?? `order-m${n}`,
    saleId: sale.id,
    userId: spec.userId ?? 'buyer-1',
    checkoutCode: `${sale.id}-mothercode${String(n).padStart(8, '0')}`,
    lines: (spec.items ?? [itemOf(sale, 1)]).map((itemId) => ({ itemId, unit: spec.unit ?? 1 })),
    purchasedAt: spec.purchasedAt ?? NOW,
  };
}
