/** How the checkout attempts logged by the hot path are copied into PostgreSQL. */
export class CheckoutAttemptsSettings {
  constructor(
    /**
     * Not larger: a batch is read, parsed and handed to PostgreSQL in one go, and with 2,000 attempts that
     * held the event loop long enough to double the p99 of the requests around it (measured: 19 ms against 11).
     */
    readonly batchSize = 500,
    /**
     * The writer pauses this long unless its last batch was full: each batch has a fixed cost (Prisma's raw
     * query), and batches taken as soon as work came were small and many.
     */
    readonly idleMs = 250,
    /** One instance writes at a time; it holds the lease this long and renews it every fifth of that (LeaseKeeper). */
    readonly leaseMs = 5_000,
  ) {}
}
