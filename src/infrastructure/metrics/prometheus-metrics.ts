import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LineGauges, Metrics, SaleGauges } from '../../application/observability/metrics.port';
import { OrderQueueCounts } from '../../application/order-pipeline/order-queue.port';
import { AppConfig } from '../config/app-config';
import { RequestDurations } from './request-durations';

/**
 * How long a sale's reconciliation result is exported at least; with a longer reconcile interval, three of them
 * (so the value stays between two runs, and goes once a few runs have passed it by).
 */
export const SOLD_ONLY_IN_PG_TTL_MS = 15 * 60_000;

/**
 * The process's Prometheus registry: Node process metrics plus the application's own. Served by
 * GET /metrics, which refreshes the state gauges just before rendering. No label ever carries a user id.
 */
@Injectable()
export class PrometheusMetrics extends Metrics {
  readonly registry = new Registry();

  /** Observed by every request (see http-app.ts), so not a prom-client Histogram: see RequestDurations. */
  readonly httpDuration = new RequestDurations([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

  private readonly checkouts = new Counter({
    name: 'flashsale_checkouts_total',
    help: 'Checkout attempts by result (accepted or the refusal code)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly purchaseItemsTotal = new Counter({
    name: 'flashsale_purchase_items_total',
    help: 'Items of purchases by result (purchased or the failure reason)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly rateLimitedTotal = new Counter({
    name: 'flashsale_rate_limited_total',
    help: 'Requests refused by a rate limit, by route group and by where the answer came from (redis, or memory: a window this instance saw full)',
    labelNames: ['group', 'answered_from'],
    registers: [this.registry],
  });

  private readonly saleItemsSold = new Gauge({
    name: 'flashsale_sale_items_sold',
    help: 'Units sold in each open sale',
    labelNames: ['sale'],
    registers: [this.registry],
  });
  private readonly saleItemsRemaining = new Gauge({
    name: 'flashsale_sale_items_remaining',
    help: 'Units still for sale in each open sale',
    labelNames: ['sale'],
    registers: [this.registry],
  });
  private readonly queueJobs = new Gauge({
    name: 'flashsale_queue_jobs',
    help: 'Order queue jobs by state',
    labelNames: ['state'],
    registers: [this.registry],
  });
  private readonly deadLetters = new Gauge({
    name: 'flashsale_dead_letters',
    help: 'Order jobs that failed every attempt',
    registers: [this.registry],
  });
  private readonly outboxEntries = new Gauge({
    name: 'flashsale_outbox_entries',
    help: 'Acknowledged purchases not yet moved to the queue',
    labelNames: ['sale'],
    registers: [this.registry],
  });
  private readonly outboxLag = new Gauge({
    name: 'flashsale_outbox_lag_seconds',
    help: 'Age of the oldest purchase waiting in the outbox',
    labelNames: ['sale'],
    registers: [this.registry],
  });
  private readonly lineWaiting = this.lineGauge(
    'flashsale_line_waiting',
    'Buyers waiting in the line of a sale (the open one and the next)',
  );
  private readonly lineAdmitted = this.lineGauge(
    'flashsale_line_admitted',
    'Buyers admitted from the line who have not yet bought or left',
  );
  private readonly lineAdmittedTotal = this.lineGauge(
    'flashsale_line_admitted_total',
    'Buyers admitted from the line so far (read from Redis)',
  );
  private readonly lineRate = this.lineGauge('flashsale_line_admit_rate_per_second', 'Admissions a second the line is set to');
  private readonly lineClosed = this.lineGauge('flashsale_line_closed', '1 once the line is closed (sold out, ended, by an operator)');
  private readonly lineMedianWait = this.lineGauge(
    'flashsale_line_median_wait_seconds',
    'Median time from joining to admission over the latest 1,000 admissions',
  );
  private readonly eventStreams = new Gauge({
    name: 'flashsale_sale_event_streams',
    help: 'Open GET /sales/:id/events streams on this instance',
    registers: [this.registry],
  });

  private readonly requeued = new Counter({
    name: 'flashsale_reconcile_requeued_orders_total',
    help: 'Acknowledged purchases the reconciler found without an order in PostgreSQL and queued again',
    registers: [this.registry],
  });

  /** Each sale's last reconciliation here, and when: its series goes once it is older than SOLD_ONLY_IN_PG_TTL_MS. */
  private readonly soldOnlyInPgReports = new Map<string, { items: number; at: number }>();
  private readonly soldOnlyInPg = new Gauge({
    name: 'flashsale_reconcile_sold_only_in_postgres_items',
    help: 'Items sold according to PostgreSQL but not according to Redis, at the last reconciliation (should be 0)',
    labelNames: ['sale'],
    registers: [this.registry],
    // Set from what is recent only: the reconciler runs on one instance at a time (a lease), and stops at the
    // sales past retention; an old value (a lost lease, a sale gone) would otherwise be exported for ever.
    collect: () => {
      const now = Date.now();
      this.soldOnlyInPg.reset();
      for (const [sale, report] of this.soldOnlyInPgReports) {
        if (now - report.at > this.soldOnlyInPgTtlMs) this.soldOnlyInPgReports.delete(sale);
        else this.soldOnlyInPg.set({ sale }, report.items);
      }
    },
  });

  private lineGauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, labelNames: ['sale'], registers: [this.registry] });
  }

  private readonly soldOnlyInPgTtlMs: number;

  constructor(config?: AppConfig) {
    super();
    this.soldOnlyInPgTtlMs = Math.max(SOLD_ONLY_IN_PG_TTL_MS, 3 * (config?.RECONCILE_INTERVAL_MS ?? 0));
    this.registry.registerMetric(this.httpDuration.asMetric());
    collectDefaultMetrics({ register: this.registry });
  }

  checkout(result: string): void {
    this.checkouts.inc({ result });
  }

  purchaseItems(purchased: number, failedByReason: Readonly<Record<string, number>>): void {
    if (purchased > 0) this.purchaseItemsTotal.inc({ result: 'purchased' }, purchased);
    for (const [reason, n] of Object.entries(failedByReason)) this.purchaseItemsTotal.inc({ result: reason }, n);
  }

  rateLimited(group: string, remembered: boolean): void {
    this.rateLimitedTotal.inc({ group, answered_from: remembered ? 'memory' : 'redis' });
  }

  ordersRequeued(count: number): void {
    this.requeued.inc(count);
  }

  soldOnlyInPostgres(saleId: number, items: number): void {
    this.soldOnlyInPgReports.set(String(saleId), { items, at: Date.now() });
  }

  setSaleGauges(sales: readonly SaleGauges[]): void {
    for (const g of [this.saleItemsSold, this.saleItemsRemaining, this.outboxEntries, this.outboxLag]) g.reset();
    for (const s of sales) {
      const label = { sale: String(s.saleId) };
      this.saleItemsSold.set(label, s.itemsSold);
      this.saleItemsRemaining.set(label, s.itemsRemaining);
      this.outboxEntries.set(label, s.outboxEntries);
      this.outboxLag.set(label, s.outboxLagSeconds);
    }
  }

  setLineGauges(lines: readonly LineGauges[]): void {
    const all = [this.lineWaiting, this.lineAdmitted, this.lineAdmittedTotal, this.lineRate, this.lineClosed, this.lineMedianWait];
    for (const g of all) g.reset();
    for (const l of lines) {
      const label = { sale: String(l.saleId) };
      this.lineWaiting.set(label, l.waiting);
      this.lineAdmitted.set(label, l.admitted);
      this.lineAdmittedTotal.set(label, l.admittedTotal);
      this.lineRate.set(label, l.ratePerSecond);
      this.lineClosed.set(label, l.closed ? 1 : 0);
      if (l.medianWaitSeconds !== null) this.lineMedianWait.set(label, l.medianWaitSeconds);
    }
  }

  setQueueGauges(counts: OrderQueueCounts): void {
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const) this.queueJobs.set({ state }, counts[state]);
    this.deadLetters.set(counts.failed);
  }

  setEventStreams(open: number): void {
    this.eventStreams.set(open);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
