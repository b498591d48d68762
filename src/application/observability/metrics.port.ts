import { OrderQueueCounts } from '../order-pipeline/order-queue.port';

/** The state gauges of one open sale, read just before a scrape. */
export interface SaleGauges {
  readonly saleId: number;
  readonly itemsSold: number;
  readonly itemsRemaining: number;
  readonly outboxEntries: number;
  readonly outboxLagSeconds: number;
}

/** One waiting line's state (WAITING_ROOM=on), read just before a scrape. */
export interface LineGauges {
  readonly saleId: number;
  readonly waiting: number;
  readonly admitted: number;
  readonly admittedTotal: number;
  readonly ratePerSecond: number;
  readonly closed: boolean;
  readonly medianWaitSeconds: number | null;
}

/** What the application reports for monitoring; the adapter exports it (Prometheus, infrastructure/metrics). */
export abstract class Metrics {
  /** One checkout attempt and its result ("accepted" or the refusal code). */
  abstract checkout(result: string): void;
  /** Items of one purchase: how many were bought and why the others were not. */
  abstract purchaseItems(purchased: number, failedByReason: Readonly<Record<string, number>>): void;
  /** A request refused by a rate limit of its group; `remembered`: refused from a window known full, without the store. */
  abstract rateLimited(group: string, remembered: boolean): void;
  /** Acknowledged orders the reconciler found missing in PostgreSQL and queued again. */
  abstract ordersRequeued(count: number): void;
  /** Items PostgreSQL says were sold that the ledger does not: should always be 0. */
  abstract soldOnlyInPostgres(saleId: number, items: number): void;

  /** Replaces the per-sale gauges with these (sales no longer open disappear). */
  abstract setSaleGauges(sales: readonly SaleGauges[]): void;
  /** Replaces the waiting lines' gauges with these (lines of sales no longer current disappear). */
  abstract setLineGauges(lines: readonly LineGauges[]): void;
  abstract setQueueGauges(counts: OrderQueueCounts): void;
  abstract setEventStreams(open: number): void;
  /** Everything, in the exporter's text format. */
  abstract render(): Promise<{ contentType: string; body: string }>;
}
