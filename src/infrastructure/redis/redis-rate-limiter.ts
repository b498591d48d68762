import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { RateLimitCheck, RateLimitVerdict } from '../../application/access/rate-limit';
import { RateLimiter } from '../../application/access/rate-limiter.port';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { decodeRateLimit } from './script-replies';

/**
 * Sliding-window limits in Redis (scripts/lua/rate-limit.lua). Each window is its own key with its own hash
 * tag, so on Redis Cluster the limiter's traffic spreads over every shard. On one server (or Sentinel) a
 * request's windows are checked in one atomic call. On a Cluster, windows in different slots are checked in
 * parallel, one atomic call per slot; if one of them refuses, the request is taken back out of the windows
 * that let it through (rate-limit-undo.lua), so a refused request still counts nowhere, and no window ever
 * lets more than its limit through.
 */
@Injectable()
export class RedisRateLimiter extends RateLimiter {
  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { allowed: true, states: [] };
    const id = randomUUID();
    const keyed = checks.map((check) => ({ check, key: `{rl:${check.key}}` }));
    const groups = this.redis.command instanceof Cluster ? groupBySlot(keyed) : [keyed];
    const verdicts = await Promise.all(groups.map((g) => this.hitOne(id, g)));
    const allowed = verdicts.every((v) => v.allowed);
    if (!allowed && groups.length > 1) {
      await Promise.all(
        groups
          .filter((_, i) => verdicts[i]!.allowed)
          .map((g) =>
            runScript(
              this.redis.command,
              'rate-limit-undo',
              g.map((k) => k.key),
              [id],
            ),
          ),
      );
    }
    const stateOf = new Map(groups.flatMap((g, i) => g.map((k, j) => [k.check, verdicts[i]!.states[j]!] as const)));
    return { allowed, states: checks.map((check) => ({ check, ...stateOf.get(check)! })) };
  }

  private async hitOne(id: string, group: readonly { check: RateLimitCheck; key: string }[]) {
    const args = [id, ...group.flatMap((k) => [k.check.policy.limit, k.check.policy.windowMs])];
    const reply = await runScript(
      this.redis.command,
      'rate-limit',
      group.map((k) => k.key),
      args,
    );
    return decodeRateLimit(reply, group.length);
  }
}

function groupBySlot<T extends { key: string }>(items: readonly T[]): T[][] {
  const bySlot = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(item.key);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), item]);
  }
  return [...bySlot.values()];
}
