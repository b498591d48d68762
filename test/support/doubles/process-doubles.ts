import { DependencyCheck, SystemHealth, SystemHealthReport } from '../../../src/application/observability/system-health.port';
import { OrderBatchConsumer, OrderBatchHandlers } from '../../../src/application/order-pipeline/order-batch-consumer.port';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';

/** What the service's dependencies look like, as a test sets them. */
export class FakeSystemHealth implements SystemHealth {
  reportNow: SystemHealthReport = { redis: 'up', postgres: 'up', worker: 'up' };
  checks: Record<string, DependencyCheck> = { redis: { status: 'up' }, postgres: { status: 'up' }, queue: { status: 'up' } };
  /** What readiness() was told about this process's worker, and the open sale, each time. */
  readonly askedWithWorker: (boolean | null)[] = [];
  readonly askedForSale: (SaleId | null)[] = [];

  async report(): Promise<SystemHealthReport> {
    return this.reportNow;
  }

  async readiness(workerRunning: boolean | null, openSaleId: SaleId | null): Promise<Record<string, DependencyCheck>> {
    this.askedWithWorker.push(workerRunning);
    this.askedForSale.push(openSaleId);
    return this.checks;
  }
}

/** The queue's consuming side: keeps the handlers it was started with, so a test can hand it jobs. */
export class FakeOrderBatchConsumer implements OrderBatchConsumer {
  state: 'off' | 'running' | 'stopped';
  handlers: OrderBatchHandlers | null = null;

  constructor(state: 'off' | 'running' | 'stopped' = 'stopped') {
    this.state = state;
  }

  start(handlers: OrderBatchHandlers): void {
    this.handlers = handlers;
    this.state = 'running';
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
  }
}
