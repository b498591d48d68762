import { LineGauges, Metrics, SaleGauges } from '../../../src/application/observability/metrics.port';
import { OrderQueueCounts } from '../../../src/application/order-pipeline/order-queue.port';

/** Keeps what the application reports, for tests to read back. */
export class RecordingMetrics implements Metrics {
  readonly checkouts: string[] = [];
  readonly purchases: { purchased: number; failedByReason: Record<string, number> }[] = [];
  readonly rateLimits: { group: string; remembered: boolean }[] = [];
  readonly requeued: number[] = [];
  readonly soldOnlyInPostgresReports: { saleId: number; items: number }[] = [];
  saleGauges: readonly SaleGauges[] | null = null;
  lineGauges: readonly LineGauges[] | null = null;
  queueGauges: OrderQueueCounts | null = null;
  eventStreams: number | null = null;
  renders = 0;

  checkout(result: string): void {
    this.checkouts.push(result);
  }

  purchaseItems(purchased: number, failedByReason: Readonly<Record<string, number>>): void {
    this.purchases.push({ purchased, failedByReason: { ...failedByReason } });
  }

  rateLimited(group: string, remembered: boolean): void {
    this.rateLimits.push({ group, remembered });
  }

  ordersRequeued(count: number): void {
    this.requeued.push(count);
  }

  soldOnlyInPostgres(saleId: number, items: number): void {
    this.soldOnlyInPostgresReports.push({ saleId, items });
  }

  setSaleGauges(sales: readonly SaleGauges[]): void {
    this.saleGauges = [...sales];
  }

  setLineGauges(lines: readonly LineGauges[]): void {
    this.lineGauges = [...lines];
  }

  setQueueGauges(counts: OrderQueueCounts): void {
    this.queueGauges = { ...counts };
  }

  setEventStreams(open: number): void {
    this.eventStreams = open;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.renders++;
    return { contentType: 'text/plain; version=0.0.4', body: `# ${this.renders} renders\n` };
  }
}
