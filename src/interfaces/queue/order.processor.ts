import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RecordOrdersResult, RecordOrdersUseCase } from '../../application/order-pipeline/record-orders.use-case';
import { OrderStoreUnavailableError } from '../../application/order-pipeline/order.repository.port';
import { within } from '../../application/shared/within';
import { AppConfig } from '../../infrastructure/config/app-config';
import { ORDER_QUEUE, OrderBatchJob, PARKED_ORDER_JOB, QUEUE_PREFIX, fromJob } from '../../infrastructure/order-pipeline/order-job.codec';
import { RedisConnections, closeConnection } from '../../infrastructure/redis/redis-connections';

/** While PostgreSQL is away, a job waits this long and tries again, without using up its attempts. */
const UNAVAILABLE_RETRY_MS = 1_000;

/**
 * The queue door: a BullMQ worker that hands each job's orders to RecordOrdersUseCase. Several jobs are
 * written at once (WORKER_CONCURRENCY, matched to the PostgreSQL pool). An unavailable PostgreSQL puts the job
 * back for later without counting an attempt, so an outage of any length loses nothing and dead-letters
 * nothing; a refused order counts attempts and ends in the dead-letter list. On shutdown the worker stops
 * taking jobs and lets the active ones finish.
 */
@Injectable()
export class OrderProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OrderWorker');
  private worker?: Worker<OrderBatchJob, RecordOrdersResult>;
  private connection?: Redis;
  private unavailableSince = 0;

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
    this.worker = new Worker<OrderBatchJob, RecordOrdersResult>(ORDER_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.config.WORKER_CONCURRENCY,
      // A worker that dies holding jobs (SIGKILL, OOM) loses their locks; they are taken up again within
      // about lockDuration + stalledInterval. A batch takes well under a second, so 10 s is ample; writes
      // are idempotent, so a job may stall many times without harm (BullMQ's default fails it after one).
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 100,
    });
    this.worker.on('failed', (job, error) => {
      this.logger.warn(`job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message.split('\n').pop()}`);
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
    // Let active jobs finish; if Redis is gone that cannot complete, so stop waiting after a while (the
    // unfinished jobs stay in the queue and are taken up again as stalled).
    await within(this.worker?.close() ?? Promise.resolve(), this.config.SHUTDOWN_GRACE_MS, 'worker close').catch(async (e: Error) => {
      this.logger.warn(e.message);
      await this.worker?.close(true);
    });
    if (this.connection) await closeConnection(this.connection);
  }

  private async process(job: Job<OrderBatchJob>, token?: string): Promise<RecordOrdersResult> {
    try {
      const orders = fromJob(job.data);
      // A parked order throws when refused again, so BullMQ counts its attempts; a batch parks what is refused.
      const result = job.name === PARKED_ORDER_JOB ? await this.recordOrders.retryParked(orders) : await this.recordOrders.execute(orders);
      if (this.unavailableSince) this.logger.log(`PostgreSQL is back after ${Date.now() - this.unavailableSince} ms; writing orders again`);
      this.unavailableSince = 0;
      return result;
    } catch (e) {
      if (!(e instanceof OrderStoreUnavailableError)) throw e;
      if (!this.unavailableSince) this.logger.warn(`PostgreSQL unavailable, orders wait in the queue: ${e.message.split('\n').pop()}`);
      this.unavailableSince ||= Date.now();
      await job.moveToDelayed(Date.now() + UNAVAILABLE_RETRY_MS, token);
      throw new DelayedError();
    }
  }
}
