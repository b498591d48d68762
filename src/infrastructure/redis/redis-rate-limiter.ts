import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RateLimitCheck, RateLimitVerdict } from '../../application/access/rate-limit';
import { RateLimiter } from '../../application/access/rate-limiter.port';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { decodeRateLimit } from './script-replies';

/** Sliding-window limits in Redis (scripts/lua/rate-limit.lua): one round trip for all of a request's limits. */
@Injectable()
export class RedisRateLimiter extends RateLimiter {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { allowed: true, states: [] };
    // One hash tag for a request's keys keeps the script valid on Redis Cluster (the keys share a slot).
    const keys = checks.map((c) => `{rl}:${c.key}`);
    const args = [randomUUID(), ...checks.flatMap((c) => [c.policy.limit, c.policy.windowMs])];
    const { allowed, states } = decodeRateLimit(await runScript(this.redis.command, 'rate-limit', keys, args), checks.length);
    return { allowed, states: checks.map((check, i) => ({ check, ...states[i]! })) };
  }
}
