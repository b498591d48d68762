import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DeadLetter, OrderQueue, OrderQueueCounts } from '../../application/order-pipeline/order-queue.port';
import { within } from '../../application/shared/within';
import { Order } from '../../domain/order/order.entity';
import { AppConfig } from '../config/app-config';
import { RedisConnections, closeConnection } from '../redis/redis-connections';
import { RedisReplicaConfirmation } from '../redis/redis-replica-confirmation';
import { RedisClient } from '../redis/redis-topology';
import { ORDER_BATCH_JOB, ORDER_QUEUE, OrderBatchJob, PARKED_ORDER_JOB, QUEUE_PREFIX, toJob } from './order-job.codec';

/**
 * The order queue on BullMQ. Batches from the outbox get 10 attempts with a doubling backoff (an unavailable
 * PostgreSQL does not use them up, see OrderProcessor; a batch that fails them all stays in the failed set, and
 * the reconciler queues its orders again); an order PostgreSQL refuses is parked as its own job with a few
 * attempts and then stays in BullMQ's failed set: that set is the dead-letter list.
 */
@Injectable()
export class BullmqOrderQueue extends OrderQueue implements OnApplicationShutdown {
  private readonly logger = new Logger('OrderQueue');
  private created?: { queue: Queue<OrderBatchJob>; connection: RedisClient };

  constructor(
    private readonly redis: RedisConnections,
    private readonly config: AppConfig,
    private readonly replicas: RedisReplicaConfirmation,
  ) {
    super();
  }

  /** Opened on first use, so processes that never touch the queue (most CLI commands) never connect. */
  get queue(): Queue<OrderBatchJob> {
    this.created ??= this.open();
    return this.created.queue;
  }

  async enqueue(batchKey: string, orders: readonly Order[]): Promise<void> {
    await this.queue.add(ORDER_BATCH_JOB, toJob(orders), { jobId: batchKey });
    // The relay drops the batch from the outbox next: a replica must hold the job first, or a failover of
    // the queue's primary would lose it (the reconciler would find it again, but only after its grace period).
    // And the primary that confirms must hold the job: the confirmation's connection follows a failover on its
    // own, and for a moment may reach another primary than the queue's did. (Completed jobs are kept for an
    // hour, so a job the worker has already written still counts.)
    await this.replicas.confirmKey(QUEUE_PREFIX, { key: this.queue.toKey(batchKey), evidence: { in: 'key' } });
  }

  async park(order: Order): Promise<void> {
    await this.queue.add(PARKED_ORDER_JOB, toJob([order]), { jobId: `order-${order.id}`, attempts: this.config.ORDER_MAX_ATTEMPTS });
  }

  async counts(): Promise<OrderQueueCounts> {
    const c = await this.queue.getJobCounts(
      'waiting',
      'paused',
      'active',
      'delayed',
      'failed',
      'completed',
      'prioritized',
      'waiting-children',
    );
    return {
      // A paused queue (BullMQ's pause, e.g. from a queue UI) keeps its waiting jobs under "paused".
      waiting: (c.waiting ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
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

  async oldestPendingAgeMs(): Promise<number | null> {
    // The first job of each state, oldest first; a retrying job keeps the time it was first queued.
    const jobs = await this.queue.getJobs(['waiting', 'prioritized', 'active', 'delayed'], 0, 0, true);
    const queuedAt = jobs.filter((j) => j).map((j) => j.timestamp);
    return queuedAt.length === 0 ? null : Math.max(0, Date.now() - Math.min(...queuedAt));
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const jobs = await this.queue.getFailed(0, Math.max(0, limit - 1));
    return jobs.map((j) => ({
      jobId: String(j.id),
      orderIds: j.data.orders.map((o) => o.id),
      reason: j.failedReason ?? '',
      attempts: j.attemptsMade,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
    }));
  }

  async deadLettered(orderIds: readonly string[]): Promise<Set<string>> {
    if (orderIds.length === 0) return new Set();
    // A parked order's job is order-<id> (park() above); one ZMSCORE on the failed set answers them all.
    // Opened here if nothing has yet (a CLI's forced reconcile asks this first).
    const { queue, connection } = (this.created ??= this.open());
    const scores = await connection.zmscore(queue.toKey('failed'), ...orderIds.map((id) => `order-${id}`));
    return new Set(orderIds.filter((_, i) => scores[i] !== null));
  }

  async retryDeadLetters(jobIds?: readonly string[]): Promise<number> {
    const jobs = jobIds ? await Promise.all(jobIds.map((id) => this.queue.getJob(id))) : await this.queue.getFailed(0, -1);
    let retried = 0;
    for (const job of jobs) {
      if (job && (await job.isFailed())) {
        try {
          // With its attempts from zero: a replay gets the same retries and backoff as a new order.
          await job.retry('failed', { resetAttemptsMade: true });
          retried++;
        } catch (e) {
          // Another retry (a second operator, the API and the CLI at once) or a removal got there first: it is
          // no longer a dead letter of ours to replay, not a failure of this one.
          if (!/^(Job .* is not in the failed state|Missing key for job)/.test((e as Error).message)) throw e;
        }
      }
    }
    return retried;
  }

  async ping(): Promise<void> {
    this.created ??= this.open();
    const { connection } = this.created;
    // This connection queues commands while Redis is away; once it has lost Redis, a health probe should say
    // so at once instead. (A first connection still being made is waited for, within the probe's bound.)
    if (['reconnecting', 'close', 'end'].includes(connection.status)) throw new Error(`Redis connection ${connection.status}`);
    await connection.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.created) return;
    const { queue, connection } = this.created;
    // Closing while BullMQ is still connecting makes it report an error nobody listens to any more.
    await within(queue.waitUntilReady(), 2_000, 'queue ready').catch(() => undefined);
    await within(queue.close(), 2_000, 'queue close').catch(() => undefined);
    await closeConnection(connection);
  }

  private open(): { queue: Queue<OrderBatchJob>; connection: RedisClient } {
    const connection = this.redis.open('queue', { maxRetriesPerRequest: null });
    const queue = new Queue<OrderBatchJob>(ORDER_QUEUE, {
      connection,
      prefix: QUEUE_PREFIX,
      defaultJobOptions: {
        attempts: 10,
        backoff: { type: 'exponential', delay: this.config.ORDER_RETRY_BACKOFF_MS },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: false,
      },
    });
    // Without a listener an 'error' event (Redis gone) would crash the process; the connection heals itself.
    let lastReport = 0;
    queue.on('error', (e: Error) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      this.logger.warn(`order queue: ${e.message}`);
    });
    return { queue, connection };
  }
}
