/** How the reconciler runs; built from configuration (infrastructure/config). */
export class ReconcileSettings {
  constructor(
    /**
     * Purchases younger than this are normally still on their way to PostgreSQL; so is everything while the
     * outbox or the queue holds work older than this (the pipeline is behind, not losing orders).
     */
    readonly graceMs: number,
    /** How often the reconciler runs by itself (0: only on demand): RECONCILE_INTERVAL_MS. */
    readonly intervalMs: number,
  ) {}
}
