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

  /** Remembers nothing apart from the windows themselves, like a limiter on a Redis Cluster. */
  knownFull(): RateLimitVerdict | null {
    return null;
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
