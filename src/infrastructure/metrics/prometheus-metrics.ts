import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { Metrics } from '../../application/ports/metrics.port';

/**
 * The process's Prometheus registry: Node process metrics plus the application's own. Served by
 * GET /metrics (interfaces/http/metrics.http.controller.ts). No label ever carries a user id.
 */
@Injectable()
export class PrometheusMetrics extends Metrics {
  readonly registry = new Registry();

  private readonly requeued = new Counter({
    name: 'flashsale_reconcile_requeued_orders_total',
    help: 'Acknowledged purchases the reconciler found without an order in PostgreSQL and queued again',
    registers: [this.registry],
  });

  private readonly soldOnlyInPg = new Gauge({
    name: 'flashsale_reconcile_sold_only_in_postgres_items',
    help: 'Items sold according to PostgreSQL but not according to Redis, at the last reconciliation (should be 0)',
    labelNames: ['sale'],
    registers: [this.registry],
  });

  constructor() {
    super();
    collectDefaultMetrics({ register: this.registry });
  }

  ordersRequeued(count: number): void {
    this.requeued.inc(count);
  }

  soldOnlyInPostgres(saleId: number, items: number): void {
    this.soldOnlyInPg.set({ sale: String(saleId) }, items);
  }
}
