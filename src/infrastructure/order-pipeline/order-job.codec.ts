import { Order } from '../../domain/order/order.entity';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';

export const ORDER_QUEUE = 'orders';
/** BullMQ's key prefix; the hash tag keeps every queue key in one Redis Cluster slot. */
export const QUEUE_PREFIX = '{flashsale}';
/** A batch relayed from the outbox. */
export const ORDER_BATCH_JOB = 'order-batch';
/** One order PostgreSQL refused, retried alone (it becomes a dead letter if it keeps failing). */
export const PARKED_ORDER_JOB = 'order';

/** A queued batch of orders, compact: lines as [itemId, unit] pairs, times as epoch ms. */
export interface OrderBatchJob {
  readonly orders: {
    readonly id: string;
    readonly saleId: number;
    readonly userId: string;
    readonly code: string;
    readonly lines: [number, number][];
    readonly at: number;
  }[];
}

export function toJob(orders: readonly Order[]): OrderBatchJob {
  return {
    orders: orders.map((o) => ({
      id: o.id,
      saleId: o.saleId,
      userId: o.userId,
      code: o.checkoutCode,
      lines: o.lines.map((l) => [l.itemId, l.unit]),
      at: o.purchasedAt.getTime(),
    })),
  };
}

export function fromJob(job: OrderBatchJob): Order[] {
  return job.orders.map((o) => ({
    id: o.id,
    saleId: o.saleId as SaleId,
    userId: o.userId,
    checkoutCode: o.code,
    lines: o.lines.map(([itemId, unit]) => ({ itemId: itemId as ItemId, unit })),
    purchasedAt: new Date(o.at),
  }));
}
