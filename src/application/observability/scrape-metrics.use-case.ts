import { Injectable, Optional } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleEventHub } from '../events/sale-event-hub.service';
import { LineAdminUseCase } from '../line/line-admin.use-case';
import { OrderQueue } from '../order-pipeline/order-queue.port';
import { PurchaseOutbox } from '../order-pipeline/purchase-outbox.port';
import { GetSaleUseCase } from '../sales/get-sale.use-case';
import { within } from '../shared/within';
import { LineGauges, Metrics } from './metrics.port';

/**
 * GET /metrics: counters and the request histogram are kept as things happen; the state gauges (sold and
 * remaining per open sale, queue, outbox, open event streams, and with the waiting room on the lines of the
 * open and the next sale) are read just before rendering.
 */
@Injectable()
export class ScrapeMetricsUseCase {
  constructor(
    private readonly metrics: Metrics,
    private readonly getSale: GetSaleUseCase,
    private readonly queue: OrderQueue,
    private readonly outbox: PurchaseOutbox,
    private readonly events: SaleEventHub,
    @Optional() private readonly lines?: LineAdminUseCase,
  ) {}

  async execute(): Promise<{ contentType: string; body: string }> {
    // A dependency that is down must not make the scrape fail: its gauges keep their last values.
    await within(this.refreshGauges(), 2_000, 'metrics').catch(() => undefined);
    return this.metrics.render();
  }

  private async refreshGauges(): Promise<void> {
    this.metrics.setEventStreams(this.events.watcherCount());
    const upcoming = await this.getSale.upcoming();
    const open = upcoming.filter((s) => s.status !== 'scheduled');
    const gauges = [];
    for (const sale of open) {
      const lag = await this.outbox.lag(sale.id as SaleId);
      gauges.push({
        saleId: sale.id,
        itemsSold: sale.itemsSold,
        itemsRemaining: sale.itemsRemaining,
        outboxEntries: lag.length,
        outboxLagSeconds: (lag.oldestAgeMs ?? 0) / 1000,
      });
    }
    this.metrics.setSaleGauges(gauges);
    await this.refreshLineGauges(upcoming.slice(0, 2));
    this.metrics.setQueueGauges(await this.queue.counts());
  }

  /** The lines of the first two sales not yet over: the open sale's, and the next's, which fills before it opens. */
  private async refreshLineGauges(sales: readonly { id: number }[]): Promise<void> {
    if (!this.lines?.enabled) return;
    const gauges: LineGauges[] = [];
    for (const sale of sales) {
      const status = await this.lines.status(sale.id as SaleId);
      if (!status.ok) continue;
      const { waiting, admitted, admittedTotal, ratePerSecond, closed, medianWaitSeconds } = status.value;
      gauges.push({ saleId: sale.id, waiting, admitted, admittedTotal, ratePerSecond, closed: closed !== null, medianWaitSeconds });
    }
    this.metrics.setLineGauges(gauges);
  }
}
