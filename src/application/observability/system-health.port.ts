import { SaleId } from '../../domain/sale/sale-id.value-object';

export type DependencyState = 'up' | 'down';

export interface SystemHealthReport {
  readonly redis: DependencyState;
  readonly postgres: DependencyState;
  /** Whether any order worker, in any process, is connected to the queue. */
  readonly worker: DependencyState;
}

/** One readiness check: up, or down and why. */
export interface DependencyCheck {
  readonly status: DependencyState;
  readonly message?: string;
  /** What else the check found out (for Redis: the topology, the sale's primary, its replicas). */
  readonly [detail: string]: unknown;
}

/** A quick look at what the service depends on, each look bounded so a dead dependency cannot hang it. */
export abstract class SystemHealth {
  /** For operators (the dashboard): each dependency, and whether any order worker is connected. */
  abstract report(): Promise<SystemHealthReport>;
  /**
   * For readiness: Redis (with the primary that holds the open sale and its replicas), PostgreSQL and the
   * queue by name. `workerRunning` is this process's own worker
   * (null when it runs none); a worker that should run and does not makes the queue check fail.
   */
  abstract readiness(workerRunning: boolean | null, openSaleId: SaleId | null): Promise<Record<string, DependencyCheck>>;
}
