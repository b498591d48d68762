import { Order } from '../../domain/order/order.entity';

/** What the worker does with what it takes off the queue. */
export interface OrderBatchHandlers {
  /** A batch relayed from the outbox (or re-queued by the reconciler). */
  batch(orders: Order[]): Promise<unknown>;
  /**
   * One order PostgreSQL refused before, retried alone; throwing counts an attempt, and after the last one
   * the order stays as a dead letter.
   */
  parked(orders: Order[]): Promise<unknown>;
}

/**
 * The consuming side of the order queue: hands each job to the handlers, several at once. A handler that
 * throws OrderStoreUnavailableError puts its job back for later without counting an attempt, so an outage
 * of PostgreSQL of any length loses and dead-letters nothing.
 */
export abstract class OrderBatchConsumer {
  abstract start(handlers: OrderBatchHandlers): void;
  /** Stops taking jobs and lets the active ones finish (at most the shutdown grace). */
  abstract stop(): Promise<void>;
  /** 'off' when this process never consumes (WORKER_ENABLED=false). */
  abstract readonly state: 'off' | 'running' | 'stopped';
}
