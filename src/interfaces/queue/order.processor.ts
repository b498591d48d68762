import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RecordOrdersUseCase } from '../../application/orders/record-orders.use-case';
import { within } from '../../application/shared/within';
import { AppConfig } from '../../infrastructure/config/app-config';
import { ORDER_QUEUE, OrderBatchJob, QUEUE_PREFIX, fromJob } from '../../infrastructure/queue/order-job';
import { RedisConnections, closeConnection } from '../../infrastructure/redis/redis-connections';

/**
 * The queue door: a BullMQ worker that hands each batch of orders to RecordOrdersUseCase. Several batches
 * are written at once (WORKER_CONCURRENCY, matched to the PostgreSQL pool). On shutdown it stops taking
 * jobs and lets the active ones finish.
 */
@Injectable()
export class OrderProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OrderWorker');
  private worker?: Worker<OrderBatchJob, number>;
  private connection?: Redis;

  constructor(
    private readonly recordOrders: RecordOrdersUseCase,
    private readonly redis: RedisConnections,
    private readonly config: AppConfig,
  ) {}

  get running(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  get enabled(): boolean {
    return this.config.WORKER_ENABLED || this.config.WORKER_ONLY;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.connection = this.redis.open('worker', { maxRetriesPerRequest: null });
    this.worker = new Worker<OrderBatchJob, number>(
      ORDER_QUEUE,
      (job: Job<OrderBatchJob>) => this.recordOrders.execute(fromJob(job.data)),
      {
        connection: this.connection,
        prefix: QUEUE_PREFIX,
        concurrency: this.config.WORKER_CONCURRENCY,
      },
    );
    this.worker.on('failed', (job, error) => {
      this.logger.warn(`batch ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`);
    });
    // BullMQ reports every failed reconnect; one line per outage is enough.
    let lastReport = 0;
    this.worker.on('error', (error) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      this.logger.warn(`worker: ${error.message}`);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Let active batches finish; if Redis is gone that cannot complete, so stop waiting after a while (the
    // unfinished jobs stay in the queue and are taken up again as stalled).
    await within(this.worker?.close() ?? Promise.resolve(), this.config.SHUTDOWN_GRACE_MS, 'worker close').catch(async (e: Error) => {
      this.logger.warn(e.message);
      await this.worker?.close(true);
    });
    if (this.connection) await closeConnection(this.connection);
  }
}
