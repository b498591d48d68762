import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/** Orders in PostgreSQL. */
export abstract class OrderRepository {
  /**
   * Writes the orders that are not written yet, with their lines, and marks their items sold, in one short
   * transaction. Orders already present are skipped, so any batch may be written any number of times.
   * Returns how many orders were new.
   */
  abstract saveBatch(orders: readonly Order[]): Promise<number>;
  abstract countForSale(saleId: SaleId): Promise<number>;
}
