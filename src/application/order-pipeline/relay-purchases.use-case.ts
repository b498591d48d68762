import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { OrderQueue } from './order-queue.port';
import { PurchaseOutbox } from './purchase-outbox.port';

/**
 * Moves acknowledged purchases from a sale's outbox into the order queue, a batch at a time. An entry is
 * removed from the outbox only after its batch is queued; a crash in between queues it again, which the
 * idempotent order writer absorbs. A deep outbox makes big batches, so the writer can keep up.
 */
@Injectable()
export class RelayPurchasesUseCase {
  constructor(
    private readonly outbox: PurchaseOutbox,
    private readonly queue: OrderQueue,
  ) {}

  /** Relays up to `maxBatches` batches of at most `batchSize` orders; returns how many orders moved. */
  async execute(saleId: SaleId, batchSize: number, maxBatches: number): Promise<number> {
    let moved = 0;
    for (let i = 0; i < maxBatches; i++) {
      const batch = await this.outbox.read(saleId, batchSize);
      if (batch.orders.length === 0) break;
      await this.queue.enqueue(`${saleId}-${batch.entryIds[0]}-${batch.entryIds.length}`, batch.orders);
      await this.outbox.acknowledge(saleId, batch.entryIds);
      moved += batch.orders.length;
      if (batch.orders.length < batchSize) break;
    }
    return moved;
  }
}
