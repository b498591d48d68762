import { Injectable, Logger } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { Clock } from '../shared/clock.port';
import { Lease } from '../shared/lease.port';
import { LeaseKeeper } from '../shared/lease-keeper';
import { ReplicaConfirmation } from '../shared/replica-confirmation.port';
import { QuietSales } from '../shared/quiet-sales';
import { OrderPipelineSettings } from './order-pipeline-settings';
import { OrderQueue } from './order-queue.port';
import { PurchaseOutbox } from './purchase-outbox.port';

const LEASE = 'outbox-relay';

/**
 * Moves acknowledged purchases from each sale's outbox into the order queue, a batch at a time. An entry is
 * removed from the outbox only after its batch is queued; a crash in between queues it again, which the
 * idempotent order writer absorbs. A deep outbox makes big batches, so the writer can keep up. Every
 * instance runs this, but a lease lets one of them work at a time. A sale not open yet, or ended and relayed
 * to the end, is read only on a sweep (QuietSales).
 */
@Injectable()
export class RelayPurchasesUseCase {
  private readonly lease: LeaseKeeper;
  private readonly logger = new Logger('OutboxRelay');
  private readonly quiet = new QuietSales(undefined, undefined, (sale, e, failures) =>
    e === null
      ? this.logger.log(`sale ${sale.id}: relaying again after ${failures} failed attempt(s)`)
      : this.logger.warn(`sale ${sale.id}: relaying failed (${failures} in a row), retrying it alone: ${(e as Error).message}`),
  );

  constructor(
    private readonly outbox: PurchaseOutbox,
    private readonly queue: OrderQueue,
    private readonly calendar: SaleCalendar,
    lease: Lease,
    private readonly settings: OrderPipelineSettings,
    private readonly replicas: ReplicaConfirmation,
    private readonly clock: Clock,
  ) {
    this.lease = new LeaseKeeper(lease, LEASE, settings.relayLeaseMs, clock);
  }

  /** One run of the relay over every sale this instance knows of but the quiet ones; returns how many orders moved. */
  async runOnce(): Promise<number> {
    if (!(await this.lease.holds())) return 0;
    return this.quiet.readEach(this.calendar.all(), this.clock.now(), (sale) =>
      this.execute(sale.id, this.settings.batchSize, this.settings.relayBatchesPerRun),
    );
  }

  /** Hands the lease over now rather than making the next instance wait for it to expire. */
  releaseLease(): Promise<void> {
    return this.lease.release();
  }

  /** Relays up to `maxBatches` batches of at most `batchSize` orders of one sale; returns how many moved. */
  async execute(saleId: SaleId, batchSize: number, maxBatches: number): Promise<number> {
    let moved = 0;
    for (let i = 0; i < maxBatches; i++) {
      const batch = await this.outbox.read(saleId, batchSize);
      if (batch.orders.length === 0) break;
      // Only purchases a replica holds go on to PostgreSQL: after a failover the new primary must know every
      // order PostgreSQL has, or it would sell those items again.
      await this.replicas.confirmSale(saleId, {
        in: 'outbox',
        entries: batch.entryIds.map((entryId, i) => ({ entryId, orderId: batch.orders[i]!.id })),
      });
      await this.queue.enqueue(`${saleId}-${batch.entryIds[0]}-${batch.entryIds.length}`, batch.orders);
      await this.outbox.acknowledge(saleId, batch.entryIds);
      moved += batch.orders.length;
      if (batch.orders.length < batchSize) break;
    }
    return moved;
  }
}
