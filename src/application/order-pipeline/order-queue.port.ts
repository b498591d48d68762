import { Order } from '../../domain/order/order.entity';

export interface OrderQueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly completed: number;
}

/** A job that failed every attempt and was set aside: it blocks nothing and waits for an operator. */
export interface DeadLetter {
  readonly jobId: string;
  readonly orderIds: readonly string[];
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: Date | null;
}

/** The durable queue between the ledger and PostgreSQL. */
export abstract class OrderQueue {
  /**
   * Queues a batch of orders. `batchKey` identifies the batch: queuing the same key again while it is known
   * to the queue is a no-op.
   */
  abstract enqueue(batchKey: string, orders: readonly Order[]): Promise<void>;
  /**
   * Queues one order that PostgreSQL refused, on its own: it is retried with backoff a few times and then
   * becomes a dead letter, while every other order goes on.
   */
  abstract park(order: Order): Promise<void>;
  abstract counts(): Promise<OrderQueueCounts>;
  /** True when nothing is waiting, delayed or active (tests and the bench use it). */
  abstract isDrained(): Promise<boolean>;
  /** Age of the oldest job still waiting, running or retrying (null when none): how far behind the queue is. */
  abstract oldestPendingAgeMs(): Promise<number | null>;
  abstract deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Of these orders, those parked on their own that failed every attempt: dead letters waiting for an operator. */
  abstract deadLettered(orderIds: readonly string[]): Promise<Set<string>>;
  /** Queues dead letters again (all of them, or those with the given job ids); returns how many. */
  abstract retryDeadLetters(jobIds?: readonly string[]): Promise<number>;
}
