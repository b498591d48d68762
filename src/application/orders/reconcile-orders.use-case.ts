import { Injectable, Logger } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Clock } from '../shared/clock.port';
import { Lease } from '../shared/lease.port';
import { Metrics } from '../observability/metrics.port';
import { OrderQueue } from '../order-pipeline/order-queue.port';
import { OrderRepository } from '../order-pipeline/order.repository.port';
import { PurchaseOutbox } from '../order-pipeline/purchase-outbox.port';
import { SaleReadModel } from '../sales/sale-read-model.port';
import { AcknowledgedOrders } from './acknowledged-orders.port';
import { SaleRepository } from '../sales/sale.repository.port';
import { SaleRegistry } from '../sales/sale-registry.port';
import { SaleSettings } from '../sales/sale-settings';
import { ReplicaNotConfirmedError } from '../shared/replica-confirmation.errors';
import { ReplicaConfirmation, purchasesOf } from '../shared/replica-confirmation.port';
import { ReconcileSettings } from './reconcile-settings';

const LEASE = 'reconciler';

export interface SaleReconciliation {
  readonly saleId: number;
  /** Purchases the ledger acknowledged with items. */
  readonly acknowledged: number;
  /** Of those, how many had no order in PostgreSQL (older than the grace period) and were queued again. */
  readonly requeued: number;
  /**
   * True when re-queuing was skipped because the outbox or the queue still held work older than the grace
   * period: the pipeline is behind (a deep backlog, PostgreSQL refusing, no worker), so a missing order is
   * usually just late, and queuing it again would only pile up duplicate work.
   */
  readonly pipelineBusy: boolean;
  /**
   * True when missing purchases were found but no replica confirmed it holds them (PURCHASE_DURABILITY=
   * replica): none of them was queued, as one a failover then undid must not reach PostgreSQL.
   */
  readonly replicaUnconfirmed: boolean;
  /**
   * Missing purchases not queued again because they are dead letters (PostgreSQL refused them every attempt):
   * queuing them again would only park them again. They wait for an operator (`queue:failed`, `queue:retry`).
   */
  readonly deadLettered: number;
  /** Items sold according to PostgreSQL but not according to the ledger (should never happen). */
  readonly soldOnlyInPostgres: number[];
}

/**
 * Compares what the ledger (Redis) says was sold with the orders in PostgreSQL. Acknowledged purchases
 * without an order are queued again (idempotent: at worst a no-op); items sold in PostgreSQL but not in the
 * ledger are reported (log and metric), since fixing them needs a person. Purchases younger than the grace
 * period are skipped: they are normally still on their way through the outbox and the queue. So is everything
 * while the outbox or the queue holds work older than that, unless `force` is given. Young work in flight does
 * not hold it back, so it still runs in the middle of a busy sale.
 */
@Injectable()
export class ReconcileOrdersUseCase {
  private readonly logger = new Logger('Reconciler');

  constructor(
    private readonly registry: SaleRegistry,
    private readonly settings: SaleSettings,
    private readonly ledger: SaleReadModel,
    private readonly acknowledged: AcknowledgedOrders,
    private readonly orders: OrderRepository,
    private readonly sales: SaleRepository,
    private readonly queue: OrderQueue,
    private readonly outbox: PurchaseOutbox,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly reconcileSettings: ReconcileSettings,
    private readonly lease: Lease,
    private readonly replicas: ReplicaConfirmation,
  ) {}

  /**
   * The scheduled run, on one instance at a time. The lease lasts a little longer than the interval, so the
   * instance that has it keeps it from run to run; if that instance dies, another takes over within one
   * interval.
   */
  async runScheduled(): Promise<void> {
    if (await this.lease.acquire(LEASE, this.reconcileSettings.intervalMs + 5_000)) await this.execute();
  }

  async execute(graceMs = this.reconcileSettings.graceMs, saleIds?: readonly SaleId[], force = false): Promise<SaleReconciliation[]> {
    const since = new Date(this.clock.now().getTime() - this.settings.retentionMs);
    const ids = saleIds ?? (await this.registry.listEndingAfter(since)).map((r) => r.sale.id);
    const report: SaleReconciliation[] = [];
    let failed: { error: unknown } | null = null;
    for (const saleId of ids) {
      // One sale that fails (its shard away, PostgreSQL refusing) does not keep the later ones, the open sale
      // among them, from being reconciled; the run then fails with the first error, as the keeper's does.
      try {
        if (!(await this.ledger.isLoaded(saleId))) continue;
        report.push(await this.reconcile(saleId, graceMs, force));
      } catch (e) {
        // The error itself is kept for the caller: its class says whether it is a 503 (a replica not
        // confirming, Redis away) or a bug.
        this.logger.warn(`sale ${saleId}: not reconciled: ${(e as Error).message}`);
        failed ??= { error: e };
      }
    }
    if (failed) throw failed.error;
    return report;
  }

  private async reconcile(saleId: SaleId, graceMs: number, force: boolean): Promise<SaleReconciliation> {
    const cutoff = this.clock.now().getTime() - graceMs;
    const pipelineBusy = !force && (await this.behindBy(saleId, graceMs));
    let acknowledged = 0;
    let requeued = 0;
    let replicaUnconfirmed = false;
    let deadLettered = 0;
    for await (const chunk of this.acknowledged.ofSale(saleId)) {
      acknowledged += chunk.length;
      if (pipelineBusy || replicaUnconfirmed) continue;
      const written = await this.orders.existing(chunk.map((o) => o.id));
      const late = chunk.filter((o) => !written.has(o.id) && o.purchasedAt.getTime() < cutoff);
      if (late.length === 0) continue;
      const dead = await this.queue.deadLettered(late.map((o) => o.id));
      deadLettered += dead.size;
      const missing = late.filter((o) => !dead.has(o.id));
      if (missing.length === 0) continue;
      // As the relay does: only purchases a replica holds go on to PostgreSQL. These were read from the primary;
      // one a failover then undid would sit in PostgreSQL while its units were sold again (a forced run during
      // a replica outage is exactly when an operator reaches for this). Without a confirmation nothing more of
      // this sale is queued; the rest of the run (the comparison below, the other sales) goes on.
      try {
        await this.replicas.confirmSale(saleId, purchasesOf(missing));
      } catch (e) {
        if (!(e instanceof ReplicaNotConfirmedError)) throw e;
        this.logger.warn(`sale ${saleId}: missing purchases not queued again, no replica confirmed them: ${e.message}`);
        replicaUnconfirmed = true;
        continue;
      }
      await this.queue.enqueue(`reconcile-${saleId}-${missing[0]!.id}-${this.clock.now().getTime()}`, missing);
      requeued += missing.length;
    }

    const soldInPostgres = await this.sales.soldPerItem(saleId);
    const itemIds = [...soldInPostgres.keys()];
    const left = await this.ledger.unitsLeft(saleId, itemIds);
    const soldOnlyInPostgres = itemIds.filter((id, i) => {
      const { sold, stock } = soldInPostgres.get(id)!;
      return sold > (left[i] === null ? 0 : stock - left[i]!);
    });

    if (requeued > 0) this.logger.warn(`sale ${saleId}: ${requeued} acknowledged purchase(s) had no order in PostgreSQL; queued again`);
    if (soldOnlyInPostgres.length > 0) {
      this.logger.error(
        `sale ${saleId}: ${soldOnlyInPostgres.length} item(s) sold in PostgreSQL but not in Redis: ${soldOnlyInPostgres.slice(0, 20).join(', ')}`,
      );
    }
    this.metrics.ordersRequeued(requeued);
    this.metrics.soldOnlyInPostgres(saleId, soldOnlyInPostgres.length);
    return { saleId, acknowledged, requeued, pipelineBusy, replicaUnconfirmed, deadLettered, soldOnlyInPostgres };
  }

  /** True when the outbox or the queue holds work at least `graceMs` old. */
  private async behindBy(saleId: SaleId, graceMs: number): Promise<boolean> {
    const [outbox, queued] = await Promise.all([this.outbox.lag(saleId), this.queue.oldestPendingAgeMs()]);
    return [outbox.oldestAgeMs, queued].some((age) => age !== null && age >= graceMs);
  }
}
