import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, Worker } from 'bullmq';
import { OrderBatchConsumer, OrderBatchHandlers } from '../../application/order-pipeline/order-batch-consumer.port';
import { OrderPipelineSettings } from '../../application/order-pipeline/order-pipeline-settings';
import { OrderStoreUnavailableError } from '../../application/order-pipeline/order.repository.port';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';
import { RedisConnections, closeConnection } from '../redis/redis-connections';
import { RedisClient } from '../redis/redis-topology';
import { ORDER_QUEUE, OrderBatchJob, PARKED_ORDER_JOB, QUEUE_PREFIX, fromJob } from './order-job.codec';

/**
 * The consuming side of the order queue on BullMQ: a Worker that hands each job to the handlers, several at
 * once (WORKER_CONCURRENCY, matched to the PostgreSQL pool). An unavailable PostgreSQL puts the job back for
 * later without counting an attempt, so an outage of any length loses nothing and dead-letters nothing; a
 * refused order counts attempts and ends in the dead-letter list (BullMQ's failed set). On stop the worker
 * takes no more jobs and lets the active ones finish.
 */
@Injectable()
export class BullmqOrderWorker extends OrderBatchConsumer {
  private readonly logger = new Logger('OrderWorker');
  private worker?: Worker<OrderBatchJob>;
  private connection?: RedisClient;
  private unavailableSince = 0;

  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: OrderPipelineSettings,
    private readonly config: AppConfig,
  ) {
    super();
  }

  get state(): 'off' | 'running' | 'stopped' {
    if (!this.settings.workerEnabled) return 'off';
    return this.worker?.isRunning() ? 'running' : 'stopped';
  }

  start(handlers: OrderBatchHandlers): void {
    if (this.worker) return;
    this.connection = this.redis.open('worker', { maxRetriesPerRequest: null });
    this.worker = new Worker<OrderBatchJob>(ORDER_QUEUE, (job, token) => this.process(job, handlers, token), {
      connection: this.connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.settings.workerConcurrency,
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

  async stop(): Promise<void> {
    // Closing while BullMQ is still connecting makes its connection report an error after it has dropped its
    // listeners (an unhandled 'error' event): let it finish connecting first, within a bound (Redis may be gone).
    if (this.worker) await within(this.worker.waitUntilReady(), 2_000, 'worker ready').catch(() => undefined);
    // Let active jobs finish; if Redis is gone that cannot complete, so stop waiting after a while (the
    // unfinished jobs stay in the queue and are taken up again as stalled).
    await within(this.worker?.close() ?? Promise.resolve(), this.config.SHUTDOWN_GRACE_MS, 'worker close').catch(async (e: Error) => {
      this.logger.warn(e.message);
      await this.worker?.close(true);
    });
    if (this.connection) await closeConnection(this.connection);
  }

  private async process(job: Job<OrderBatchJob>, handlers: OrderBatchHandlers, token?: string): Promise<unknown> {
    try {
      const orders = fromJob(job.data);
      // A parked order throws when refused again, so BullMQ counts its attempts; a batch parks what is refused.
      const result = job.name === PARKED_ORDER_JOB ? await handlers.parked(orders) : await handlers.batch(orders);
      if (this.unavailableSince) this.logger.log(`PostgreSQL is back after ${Date.now() - this.unavailableSince} ms; writing orders again`);
      this.unavailableSince = 0;
      return result;
    } catch (e) {
      if (!(e instanceof OrderStoreUnavailableError)) throw e;
      if (!this.unavailableSince) this.logger.warn(`PostgreSQL unavailable, orders wait in the queue: ${e.message.split('\n').pop()}`);
      this.unavailableSince ||= Date.now();
      await job.moveToDelayed(Date.now() + this.settings.unavailableRetryMs, token);
      throw new DelayedError();
    }
  }
}
