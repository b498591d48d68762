import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SaleEventHub } from '../../application/events/sale-event-hub.service';
import { OrderQueue } from '../../application/order-pipeline/order-queue.port';
import { PurchaseOutbox } from '../../application/order-pipeline/purchase-outbox.port';
import { within } from '../../application/shared/within';
import { GetSaleUseCase } from '../../application/sales/get-sale.use-case';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { PrometheusMetrics } from '../../infrastructure/metrics/prometheus-metrics';
import { Access } from './access/access.decorator';

/**
 * GET /metrics in Prometheus text format. Counters and the request histogram are kept as things happen;
 * the state gauges (sold and remaining per open sale, queue, outbox) are read just before rendering.
 */
@Controller()
@Access({ group: null, caller: 'none' })
export class MetricsHttpController {
  constructor(
    private readonly metrics: PrometheusMetrics,
    private readonly getSale: GetSaleUseCase,
    private readonly queue: OrderQueue,
    private readonly outbox: PurchaseOutbox,
    private readonly events: SaleEventHub,
  ) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<FastifyReply> {
    // A dependency that is down must not make the scrape fail: its gauges keep their last values.
    await within(this.refreshGauges(), 2_000, 'metrics').catch(() => undefined);
    return reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }

  private async refreshGauges(): Promise<void> {
    const m = this.metrics;
    m.eventStreams.set(this.events.watcherCount());
    const open = (await this.getSale.upcoming()).filter((s) => s.status !== 'scheduled');
    m.saleItemsSold.reset();
    m.saleItemsRemaining.reset();
    m.outboxEntries.reset();
    m.outboxLag.reset();
    for (const sale of open) {
      const label = { sale: String(sale.id) };
      m.saleItemsSold.set(label, sale.itemsSold);
      m.saleItemsRemaining.set(label, sale.itemsRemaining);
      const lag = await this.outbox.lag(sale.id as SaleId);
      m.outboxEntries.set(label, lag.length);
      m.outboxLag.set(label, (lag.oldestAgeMs ?? 0) / 1000);
    }
    const counts = await this.queue.counts();
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const) m.queueJobs.set({ state }, counts[state]);
    m.deadLetters.set(counts.failed);
  }
}
