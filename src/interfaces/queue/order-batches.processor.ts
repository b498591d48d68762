import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { RecordOrdersUseCase } from '../../application/order-pipeline/record-orders.use-case';

/**
 * The queue door: while the process runs, jobs taken off the order queue go to RecordOrdersUseCase. How
 * jobs are taken, retried and dead-lettered is the queue adapter's business
 * (infrastructure/order-pipeline/bullmq-order-worker.ts).
 */
@Injectable()
export class OrderBatchesProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly recordOrders: RecordOrdersUseCase) {}

  onApplicationBootstrap(): void {
    this.recordOrders.startWorker();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.recordOrders.stopWorker();
  }
}
