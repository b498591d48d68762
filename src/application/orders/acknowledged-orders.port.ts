import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/** What the ledger acknowledged, for the reconciler: PostgreSQL must end up with exactly these orders. */
export abstract class AcknowledgedOrders {
  /** Every purchase the ledger acknowledged with items in a sale, as the order it must become, in chunks. */
  abstract ofSale(saleId: SaleId): AsyncIterable<Order[]>;
}
