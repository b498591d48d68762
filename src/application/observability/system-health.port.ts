export type DependencyState = 'up' | 'down';

export interface SystemHealthReport {
  readonly redis: DependencyState;
  readonly postgres: DependencyState;
  /** Whether any order worker, in any process, is connected to the queue. */
  readonly worker: DependencyState;
}

/** A quick look at what the service depends on, for operators. */
export abstract class SystemHealth {
  abstract report(): Promise<SystemHealthReport>;
}
