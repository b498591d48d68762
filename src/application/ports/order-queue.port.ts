import { Order } from '../../domain/order/order.entity';

export interface OrderQueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly completed: number;
}

/** The durable queue between the ledger and PostgreSQL. */
export abstract class OrderQueue {
  /**
   * Queues a batch of orders. `batchKey` identifies the batch: queuing the same key again while it is known
   * to the queue is a no-op.
   */
  abstract enqueue(batchKey: string, orders: readonly Order[]): Promise<void>;
  abstract counts(): Promise<OrderQueueCounts>;
  /** Resolves when nothing is waiting, delayed or active (tests and the bench use it). */
  abstract isDrained(): Promise<boolean>;
}
