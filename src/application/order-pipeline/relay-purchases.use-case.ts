import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { Lease } from '../shared/lease.port';
import { ReplicaConfirmation } from '../shared/replica-confirmation.port';
import { OrderPipelineSettings } from './order-pipeline-settings';
import { OrderQueue } from './order-queue.port';
import { PurchaseOutbox } from './purchase-outbox.port';

const LEASE = 'outbox-relay';

/**
 * Moves acknowledged purchases from each sale's outbox into the order queue, a batch at a time. An entry is
 * removed from the outbox only after its batch is queued; a crash in between queues it again, which the
 * idempotent order writer absorbs. A deep outbox makes big batches, so the writer can keep up. Every
 * instance runs this, but a lease lets one of them work at a time.
 */
@Injectable()
export class RelayPurchasesUseCase {
  constructor(
    private readonly outbox: PurchaseOutbox,
    private readonly queue: OrderQueue,
    private readonly calendar: SaleCalendar,
    private readonly lease: Lease,
    private readonly settings: OrderPipelineSettings,
    private readonly replicas: ReplicaConfirmation,
  ) {}

  /** One run of the relay over every sale this instance knows of; returns how many orders moved. */
  async runOnce(): Promise<number> {
    if (!(await this.lease.acquire(LEASE, this.settings.relayLeaseMs))) return 0;
    let moved = 0;
    for (const sale of this.calendar.all()) moved += await this.execute(sale.id, this.settings.batchSize, this.settings.relayBatchesPerRun);
    return moved;
  }

  /** Hands the lease over now rather than making the next instance wait for it to expire. */
  releaseLease(): Promise<void> {
    return this.lease.release(LEASE);
  }

  /** Relays up to `maxBatches` batches of at most `batchSize` orders of one sale; returns how many moved. */
  async execute(saleId: SaleId, batchSize: number, maxBatches: number): Promise<number> {
    let moved = 0;
    for (let i = 0; i < maxBatches; i++) {
      const batch = await this.outbox.read(saleId, batchSize);
      if (batch.orders.length === 0) break;
      // Only purchases a replica holds go on to PostgreSQL: after a failover the new primary must know every
      // order PostgreSQL has, or it would sell those items again.
      await this.replicas.confirmSale(saleId);
      await this.queue.enqueue(`${saleId}-${batch.entryIds[0]}-${batch.entryIds.length}`, batch.orders);
      await this.outbox.acknowledge(saleId, batch.entryIds);
      moved += batch.orders.length;
      if (batch.orders.length < batchSize) break;
    }
    return moved;
  }
}
