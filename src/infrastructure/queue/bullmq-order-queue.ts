import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { OrderQueue, OrderQueueCounts } from '../../application/ports/order-queue.port';
import { within } from '../../application/shared/within';
import { Order } from '../../domain/order/order.entity';
import { RedisConnections, closeConnection } from '../redis/redis-connections';
import { ORDER_BATCH_JOB, ORDER_QUEUE, OrderBatchJob, QUEUE_PREFIX, toJob } from './order-job';

/** The order queue on BullMQ. Jobs are batches of orders keyed by their outbox position. */
@Injectable()
export class BullmqOrderQueue extends OrderQueue implements OnApplicationShutdown {
  readonly queue: Queue<OrderBatchJob>;
  private readonly connection: Redis;

  constructor(redis: RedisConnections) {
    super();
    this.connection = redis.open('queue', { maxRetriesPerRequest: null });
    this.queue = new Queue<OrderBatchJob>(ORDER_QUEUE, {
      connection: this.connection,
      prefix: QUEUE_PREFIX,
      defaultJobOptions: {
        // A batch that keeps failing (PostgreSQL away) is retried with growing pauses for about an hour.
        attempts: 20,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: false,
      },
    });
  }

  async enqueue(batchKey: string, orders: readonly Order[]): Promise<void> {
    await this.queue.add(ORDER_BATCH_JOB, toJob(orders), { jobId: batchKey });
  }

  async counts(): Promise<OrderQueueCounts> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
    };
  }

  async isDrained(): Promise<boolean> {
    const c = await this.counts();
    return c.waiting + c.active + c.delayed === 0;
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await within(this.queue.close(), 2_000, 'queue close').catch(() => undefined);
    await closeConnection(this.connection);
  }
}
