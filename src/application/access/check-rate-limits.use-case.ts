import { Injectable } from '@nestjs/common';
import { Metrics } from '../observability/metrics.port';
import { RateLimitCheck, RateLimitGroup, RateLimitSettings, RateLimitVerdict, ipWindowOf } from './rate-limit';
import { RateLimiter } from './rate-limiter.port';

/**
 * Counts one request against its route group's windows, per client IP (an IPv6 client by its /64) and per
 * user, in one atomic step shared by every instance. Null when no window applies (limiting off, or the group
 * has none). Refusals are counted for monitoring, by group and by whether the store was asked.
 */
@Injectable()
export class CheckRateLimitsUseCase {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly settings: RateLimitSettings,
    private readonly metrics: Metrics,
  ) {}

  /** Whether a request of the group is counted at all; when not, execute() would answer null. */
  limits(group: RateLimitGroup): boolean {
    if (!this.settings.enabled) return false;
    const { ip, user } = this.settings.groups[group];
    return ip !== null || user !== null;
  }

  /** Whether checkouts and purchases can be counted in the ledger's own call (see UncountedLimits). */
  get countsWithLedger(): boolean {
    return this.limiter.countsWithLedger;
  }

  async execute(group: RateLimitGroup, ip: string, user: string | null): Promise<RateLimitVerdict | null> {
    const checks = this.checksFor(group, ip, user);
    return checks ? this.count(group, checks) : null;
  }

  /** The windows a request of the group counts in; null when none applies. */
  checksFor(group: RateLimitGroup, ip: string, user: string | null): RateLimitCheck[] | null {
    if (!this.limits(group)) return null;
    const limits = this.settings.groups[group];
    const checks: RateLimitCheck[] = [];
    if (limits.ip) checks.push({ name: `${group}-ip`, policy: limits.ip, key: `${group}:ip:${ipWindowOf(ip)}` });
    if (limits.user && user) checks.push({ name: `${group}-user`, policy: limits.user, key: `${group}:user:${user}` });
    return checks.length ? checks : null;
  }

  /** Counts the request in its windows now, in a call of its own. */
  async count(group: RateLimitGroup, checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    return this.recorded(group, await this.limiter.hit(checks));
  }

  /** The refusal known without asking the store (a window seen full), or null: the request is not counted. */
  remembered(group: RateLimitGroup, checks: readonly RateLimitCheck[]): RateLimitVerdict | null {
    const verdict = this.limiter.remembered(checks);
    return verdict && this.recorded(group, verdict);
  }

  /** The verdict of a ledger call that counted the request (UncountedLimits), recorded like count()'s. */
  recorded(group: RateLimitGroup, verdict: RateLimitVerdict): RateLimitVerdict {
    if (!verdict.allowed) this.metrics.rateLimited(group, verdict.remembered === true);
    return verdict;
  }
}
