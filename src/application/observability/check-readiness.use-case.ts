import { Injectable } from '@nestjs/common';
import { OrderBatchConsumer } from '../order-pipeline/order-batch-consumer.port';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { Clock } from '../shared/clock.port';
import { ProcessLifecycle } from './process-lifecycle';
import { DependencyCheck, SystemHealth } from './system-health.port';

export interface Readiness {
  readonly ready: boolean;
  /** What is not ready, e.g. ["shutting down", "redis"]. */
  readonly down: string[];
  readonly checks: Record<string, DependencyCheck>;
}

/**
 * What serving buyers needs: checkout and purchase run on Redis alone and never wait on PostgreSQL (orders wait
 * in Redis while it is away), so a PostgreSQL outage does not stop them.
 */
const NOT_NEEDED_TO_SERVE = new Set(['postgres']);

/** Whether this process should get traffic: its dependencies answer, its worker runs, it is not shutting down. */
@Injectable()
export class CheckReadinessUseCase {
  constructor(
    private readonly health: SystemHealth,
    private readonly lifecycle: ProcessLifecycle,
    private readonly worker: OrderBatchConsumer,
    private readonly calendar: SaleCalendar,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<Readiness> {
    const state = this.worker.state;
    const open = this.calendar.openAt(this.clock.now());
    const checks = await this.health.readiness(state === 'off' ? null : state === 'running', open?.id ?? null);
    const down = Object.entries(checks)
      .filter(([, c]) => c.status !== 'up')
      .map(([name]) => name);
    if (this.lifecycle.shuttingDown) down.unshift('shutting down');
    return { ready: down.length === 0, down, checks };
  }

  /**
   * Whether a load balancer should send this process buyers: ready, except that PostgreSQL may be down. Every
   * instance shares one PostgreSQL, so taking them all out during its outage would turn an order-store outage
   * that buyers never notice into a sale that stops.
   */
  async serving(): Promise<Readiness> {
    const readiness = await this.execute();
    const down = readiness.down.filter((name) => !NOT_NEEDED_TO_SERVE.has(name));
    return { ready: down.length === 0, down, checks: readiness.checks };
  }
}
