import { Injectable } from '@nestjs/common';
import { OrderQueue, OrderQueueCounts } from '../order-pipeline/order-queue.port';

/** Jobs in the order queue by state, for operators. */
@Injectable()
export class QueueStatusUseCase {
  constructor(private readonly queue: OrderQueue) {}

  execute(): Promise<OrderQueueCounts> {
    return this.queue.counts();
  }
}
