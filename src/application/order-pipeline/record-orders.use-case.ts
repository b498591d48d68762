import { Injectable, Logger } from '@nestjs/common';
import { Order } from '../../domain/order/order.entity';
import { OrderBatchConsumer } from './order-batch-consumer.port';
import { OrderPipelineSettings } from './order-pipeline-settings';
import { OrderQueue } from './order-queue.port';
import { OrderRepository, OrdersRejectedError } from './order.repository.port';

export interface RecordOrdersResult {
  readonly written: number;
  /** Orders PostgreSQL refused, set aside to be retried alone (and dead-lettered if they keep failing). */
  readonly parked: number;
}

/**
 * Writes acknowledged orders to PostgreSQL, idempotently. A batch that PostgreSQL refuses is written again
 * one order at a time, so one bad order never holds back the others: the good ones are written and the bad
 * one is parked in the queue on its own, where it has ORDER_MAX_ATTEMPTS tries before it is a dead letter.
 */
@Injectable()
export class RecordOrdersUseCase {
  private readonly logger = new Logger('RecordOrders');

  constructor(
    private readonly orders: OrderRepository,
    private readonly queue: OrderQueue,
    private readonly consumer: OrderBatchConsumer,
    private readonly settings: OrderPipelineSettings,
  ) {}

  /** The worker: takes batches off the order queue and writes them, in this process (unless it runs none). */
  startWorker(): void {
    if (!this.settings.workerEnabled) return;
    this.consumer.start({ batch: (orders) => this.execute(orders), parked: (orders) => this.retryParked(orders) });
  }

  /** Takes no more jobs and lets the active ones finish. */
  async stopWorker(): Promise<void> {
    if (this.settings.workerEnabled) await this.consumer.stop();
  }

  /** A batch relayed from the outbox. Every refused order is parked, also one that came in a batch of one. */
  async execute(batch: readonly Order[]): Promise<RecordOrdersResult> {
    try {
      return { written: await this.orders.saveBatch(batch), parked: 0 };
    } catch (e) {
      if (!(e instanceof OrdersRejectedError)) throw e;
    }
    let written = 0;
    let parked = 0;
    for (const order of batch) {
      try {
        written += await this.orders.saveBatch([order]);
      } catch (e) {
        if (!(e instanceof OrdersRejectedError)) throw e;
        await this.park(order, e);
        parked++;
      }
    }
    return { written, parked };
  }

  /**
   * A parked order (a job of one), tried again. A refusal is thrown, so the queue counts the attempt and, after the last
   * one, keeps the order as a dead letter.
   */
  async retryParked(parked: readonly Order[]): Promise<RecordOrdersResult> {
    return { written: await this.orders.saveBatch(parked), parked: 0 };
  }

  private async park(order: Order, e: OrdersRejectedError): Promise<void> {
    this.logger.warn(`order ${order.id} refused by PostgreSQL, parked for retries: ${e.message.split('\n').pop()}`);
    await this.queue.park(order);
  }
}
