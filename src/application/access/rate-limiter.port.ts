import { RateLimitCheck, RateLimitVerdict } from './rate-limit';

/** Counts a request against several sliding windows at once, atomically, shared by every instance. */
export abstract class RateLimiter {
  abstract hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict>;
  /**
   * Whether the ledgers' batched checkout and purchase calls can count a request's windows in their own call
   * (UncountedLimits): on one server or Sentinel, not on a Cluster, where the windows sit on other shards.
   */
  abstract readonly countsWithLedger: boolean;
  /** The refusal the limiter can give without asking the store (a window it saw full), or null. */
  abstract remembered(checks: readonly RateLimitCheck[]): RateLimitVerdict | null;
}
