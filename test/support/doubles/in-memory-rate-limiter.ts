import { RateLimitCheck, RateLimitVerdict } from '../../../src/application/access/rate-limit';
import { RateLimiter } from '../../../src/application/access/rate-limiter.port';
import { Clock } from '../../../src/application/shared/clock.port';

/**
 * Sliding windows as scripts/lua/rate-limit.lua keeps them: a request passes only if every window has room,
 * and then counts in all of them; a refused request counts nowhere.
 */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, number[]>();
  /** The checks of every hit, in order. */
  readonly hits: (readonly RateLimitCheck[])[] = [];

  constructor(private readonly clock: Clock) {}

  /** The windows that are full now, as the Redis limiter remembers those it saw full (it may know fewer). */
  knownFull(checks: readonly RateLimitCheck[]): RateLimitVerdict | null {
    const now = this.clock.now().getTime();
    const full = checks.flatMap((check) => {
      const times = (this.windows.get(check.key) ?? []).filter((t) => t > now - check.policy.windowMs);
      return times.length >= check.policy.limit ? [{ check, remaining: 0, resetMs: times[0]! + check.policy.windowMs - now }] : [];
    });
    return full.length > 0 ? { allowed: false, remembered: true, states: full } : null;
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    this.hits.push(checks);
    const now = this.clock.now().getTime();
    const times = checks.map((c) => (this.windows.get(c.key) ?? []).filter((t) => t > now - c.policy.windowMs));
    const allowed = checks.every((c, i) => times[i]!.length < c.policy.limit);
    return {
      allowed,
      states: checks.map((check, i) => {
        const window = allowed ? [...times[i]!, now] : times[i]!;
        this.windows.set(check.key, window);
        const oldest = window[0];
        return {
          check,
          remaining: Math.max(0, check.policy.limit - window.length),
          resetMs: oldest === undefined ? check.policy.windowMs : oldest + check.policy.windowMs - now,
        };
      }),
    };
  }
}
