import { RateLimitCheck, RateLimitVerdict } from './rate-limit';

/** Counts a request against several sliding windows at once, atomically, shared by every instance. */
export abstract class RateLimiter {
  abstract hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict>;
}
