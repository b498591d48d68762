import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';

export interface OutboxBatch {
  /** Opaque entry ids, to acknowledge once the orders are safely queued. */
  readonly entryIds: string[];
  readonly orders: Order[];
}

/** Acknowledged purchases appended by the purchase script, waiting to be queued for PostgreSQL. */
export abstract class PurchaseOutbox {
  /** The oldest `max` purchases, in the order they were acknowledged. */
  abstract read(saleId: SaleId, max: number): Promise<OutboxBatch>;
  /** Drops a batch that read() returned, once it is queued; later purchases stay. */
  abstract acknowledge(saleId: SaleId, entryIds: readonly string[]): Promise<void>;
  abstract length(saleId: SaleId): Promise<number>;
  /** How far the relay is behind: entries waiting and the age of the oldest (null when empty). */
  abstract lag(saleId: SaleId): Promise<{ length: number; oldestAgeMs: number | null }>;
}
