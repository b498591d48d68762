import { RateLimitPolicy } from './rate-limit';

export interface RateLimitCheck {
  /** Names the policy in the RateLimit headers, e.g. "buy-ip". */
  readonly name: string;
  readonly policy: RateLimitPolicy;
  /** What is counted: the group and the client IP or user. */
  readonly key: string;
}

export interface RateLimitState {
  readonly check: RateLimitCheck;
  readonly remaining: number;
  readonly resetMs: number;
}

export interface RateLimitVerdict {
  readonly allowed: boolean;
  readonly states: RateLimitState[];
}

/** Counts a request against several sliding windows at once, atomically, shared by every instance. */
export abstract class RateLimiter {
  abstract hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict>;
}
