import { DeadLetter, OrderQueue, OrderQueueCounts } from '../../../src/application/order-pipeline/order-queue.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { Order } from '../../../src/domain/order/order.entity';

export interface QueuedJob {
  readonly jobId: string;
  readonly kind: 'batch' | 'parked';
  readonly orders: readonly Order[];
  readonly queuedAt: number;
}

/**
 * The order queue (BullMQ in production): batches keyed by their batch key (queuing a known key again is a
 * no-op), parked single orders, and dead letters. Nothing consumes it by itself: take() plays the worker.
 */
export class InMemoryOrderQueue implements OrderQueue {
  private readonly pending: QueuedJob[] = [];
  private readonly known = new Set<string>();
  private readonly dead: { letter: DeadLetter; orders: readonly Order[] }[] = [];
  private completed = 0;
  private parkedSeq = 0;
  private down: Error | null = null;
  private stalled = false;
  /** Every batch ever enqueued (by key), and every order ever parked, in order. */
  readonly enqueued: { key: string; orders: readonly Order[] }[] = [];
  readonly parked: Order[] = [];

  constructor(private readonly clock: Clock) {}

  async enqueue(batchKey: string, orders: readonly Order[]): Promise<void> {
    await this.check();
    if (this.known.has(batchKey)) return;
    this.known.add(batchKey);
    this.enqueued.push({ key: batchKey, orders: [...orders] });
    this.pending.push({ jobId: batchKey, kind: 'batch', orders: [...orders], queuedAt: this.clock.now().getTime() });
  }

  async park(order: Order): Promise<void> {
    await this.check();
    this.parked.push(order);
    this.pending.push({ jobId: `parked-${++this.parkedSeq}`, kind: 'parked', orders: [order], queuedAt: this.clock.now().getTime() });
  }

  async counts(): Promise<OrderQueueCounts> {
    await this.check();
    return { waiting: this.pending.length, active: 0, delayed: 0, failed: this.dead.length, completed: this.completed };
  }

  async isDrained(): Promise<boolean> {
    await this.check();
    return this.pending.length === 0;
  }

  async oldestPendingAgeMs(): Promise<number | null> {
    await this.check();
    if (this.pending.length === 0) return null;
    return this.clock.now().getTime() - Math.min(...this.pending.map((j) => j.queuedAt));
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    await this.check();
    return this.dead.slice(0, limit).map((d) => d.letter);
  }

  async deadLettered(orderIds: readonly string[]): Promise<Set<string>> {
    await this.check();
    return new Set(orderIds.filter((id) => this.dead.some((d) => d.letter.orderIds.length === 1 && d.letter.orderIds[0] === id)));
  }

  async retryDeadLetters(jobIds?: readonly string[]): Promise<number> {
    await this.check();
    const retried = this.dead.filter((d) => !jobIds || jobIds.includes(d.letter.jobId));
    for (const d of retried) {
      this.dead.splice(this.dead.indexOf(d), 1);
      this.pending.push({ jobId: d.letter.jobId, kind: 'parked', orders: d.orders, queuedAt: this.clock.now().getTime() });
    }
    return retried.length;
  }

  /** The worker takes every waiting job (and completes it). */
  take(): QueuedJob[] {
    const jobs = this.pending.splice(0);
    this.completed += jobs.length;
    return jobs;
  }

  /** A parked order that failed every attempt. */
  addDeadLetter(order: Order, reason: string, attempts = 5): DeadLetter {
    const letter: DeadLetter = { jobId: `parked-${++this.parkedSeq}`, orderIds: [order.id], reason, attempts, failedAt: this.clock.now() };
    this.dead.push({ letter, orders: [order] });
    return letter;
  }

  /** The jobs waiting for the worker, oldest first. */
  waiting(): readonly QueuedJob[] {
    return [...this.pending];
  }

  /** Every call fails with this error until comeBack(). */
  goDown(error = new Error('queue unreachable')): void {
    this.down = error;
  }

  /** Every call hangs (a Redis that accepts connections and never answers) until comeBack(). */
  stall(): void {
    this.stalled = true;
  }

  comeBack(): void {
    this.down = null;
    this.stalled = false;
  }

  private async check(): Promise<void> {
    if (this.stalled) await new Promise<never>(() => undefined);
    if (this.down) throw this.down;
  }
}
