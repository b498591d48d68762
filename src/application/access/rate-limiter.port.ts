import { RateLimitCheck, RateLimitVerdict } from './rate-limit';

/** Counts a request against several sliding windows at once, atomically, shared by every instance. */
export abstract class RateLimiter {
  abstract hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict>;
  /**
   * At once, without counting or asking the store: the refusal hit() would answer from what the limiter
   * remembers of full windows (only the windows known full), or null when it knows of none among these.
   */
  abstract knownFull(checks: readonly RateLimitCheck[]): RateLimitVerdict | null;
}
