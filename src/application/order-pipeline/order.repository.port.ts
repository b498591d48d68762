import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/** PostgreSQL refused the data (a constraint, a bad value): writing the same orders again cannot help. */
export class OrdersRejectedError extends Error {
  override readonly name = 'OrdersRejectedError';
}

/** PostgreSQL could not be reached, or asked for a retry: the same write will work later. */
export class OrderStoreUnavailableError extends Error {
  override readonly name = 'OrderStoreUnavailableError';
}

/** Orders in PostgreSQL. */
export abstract class OrderRepository {
  /**
   * Writes the orders that are not written yet, with their lines, and marks their items sold, in one short
   * transaction. Orders already present are skipped, so any batch may be written any number of times.
   * Returns how many orders were new. Throws OrdersRejectedError or OrderStoreUnavailableError.
   */
  abstract saveBatch(orders: readonly Order[]): Promise<number>;
  abstract countForSale(saleId: SaleId): Promise<number>;
  /** A user's written orders in a sale, oldest first. */
  abstract forUser(saleId: SaleId, userId: string): Promise<{ orderId: string; itemIds: number[]; purchasedAt: Date }[]>;
  /** Which of these order ids are written. */
  abstract existing(orderIds: readonly string[]): Promise<Set<string>>;
}
