/**
 * How acknowledged purchases travel from the outbox through the order queue into PostgreSQL; built from
 * configuration (infrastructure/config). The batching policy lives here, not in the loops that run it.
 */
export class OrderPipelineSettings {
  constructor(
    /** Most orders per queued batch (and per PostgreSQL transaction): ORDER_BATCH_SIZE. */
    readonly batchSize: number,
    /** Whether this process consumes the queue (WORKER_ENABLED or WORKER_ONLY). */
    readonly workerEnabled: boolean,
    /** Batches written at once: WORKER_CONCURRENCY (at most the PostgreSQL pool). */
    readonly workerConcurrency: number,
    /** Tries of an order PostgreSQL refuses before it is a dead letter: ORDER_MAX_ATTEMPTS. */
    readonly maxAttempts: number,
    /** First pause between tries of a failing job (it doubles): ORDER_RETRY_BACKOFF_MS. */
    readonly retryBackoffMs: number,
    /** Most batches one relay run moves per sale, so one busy sale cannot starve the others. */
    readonly relayBatchesPerRun = 8,
    /**
     * The relay pauses this long unless its last run moved a full batch. A relayed batch has a fixed cost (a
     * queue job and a PostgreSQL transaction): run again as soon as work came, it made batches of 100 to 200
     * under load, which cost a busy sale ~25 µs of CPU per checkout. Orders reach the queue at most this
     * much later for it.
     */
    readonly relayIdleMs = 20,
    /** One instance relays at a time; it holds the lease this long and renews it every fifth of that (LeaseKeeper). */
    readonly relayLeaseMs = 5_000,
    /** While PostgreSQL is away a job waits this long and tries again, without using up its attempts. */
    readonly unavailableRetryMs = 1_000,
  ) {}
}
