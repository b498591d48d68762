import { Injectable } from '@nestjs/common';
import { Metrics } from '../observability/metrics.port';
import {
  REPLICATED_GROUPS,
  RateLimitCheck,
  RateLimitGroup,
  RateLimitPolicy,
  RateLimitSettings,
  RateLimitVerdict,
  ipWindowOf,
} from './rate-limit';
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

  async execute(group: RateLimitGroup, ip: string, user: string | null): Promise<RateLimitVerdict | null> {
    if (!this.limits(group)) return null;
    const limits = this.settings.groups[group];
    const checks: RateLimitCheck[] = [];
    if (limits.ip) checks.push(ipCheck(group, limits.ip, ip));
    if (limits.user && user) {
      checks.push({ name: `${group}-user`, policy: limits.user, key: `${group}:user:${user}`, replicated: REPLICATED_GROUPS.has(group) });
    }
    if (checks.length === 0) return null;
    const verdict = await this.limiter.hit(checks);
    if (!verdict.allowed) this.metrics.rateLimited(group, verdict.remembered === true);
    return verdict;
  }

  /**
   * At once, counting nothing: the refusal of a request of the group from this IP when its IP window is
   * known full, which no user or credentials could change; null otherwise. Lets a door refuse before it
   * does costlier work for the request (reading a session, verifying a token).
   */
  refusedFromMemory(group: RateLimitGroup, ip: string): RateLimitVerdict | null {
    const limit = this.limits(group) ? this.settings.groups[group].ip : null;
    if (!limit) return null;
    const verdict = this.limiter.knownFull([ipCheck(group, limit, ip)]);
    if (verdict) this.metrics.rateLimited(group, true);
    return verdict;
  }
}

function ipCheck(group: RateLimitGroup, policy: RateLimitPolicy, ip: string): RateLimitCheck {
  return { name: `${group}-ip`, policy, key: `${group}:ip:${ipWindowOf(ip)}`, replicated: REPLICATED_GROUPS.has(group) };
}
