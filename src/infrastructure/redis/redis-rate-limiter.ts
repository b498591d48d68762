import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { RateLimitCheck, RateLimitVerdict } from '../../application/access/rate-limit';
import { RateLimiter } from '../../application/access/rate-limiter.port';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { UnexpectedScriptReply, decodeRateLimit } from './script-replies';
import { TurnBatches } from './turn-batches';

/** At most this many requests per rate-limit.lua call (one server or Sentinel), as for checkouts. */
const MAX_REQUESTS_PER_CALL = 16;

type WindowStates = { allowed: boolean; states: { remaining: number; resetMs: number }[] };

/**
 * Sliding-window limits in Redis (scripts/lua/rate-limit.lua). Each window is its own key with its own hash
 * tag, so on Redis Cluster the limiter's traffic spreads over every shard. On one server (or Sentinel) the
 * requests of one turn of the event loop go together, one atomic check per request in one call (a call per
 * request cost a round trip each). On a Cluster, windows in different slots are checked in parallel, one
 * atomic call per slot; if one of them refuses, the request is taken back out of the windows that let it
 * through (rate-limit-undo.lua), so a refused request still counts nowhere, and no window ever lets more
 * than its limit through.
 */
@Injectable()
export class RedisRateLimiter extends RateLimiter {
  /** A turn's requests on one server: per request its id, its number of windows, then key, limit, length each. */
  private readonly turn = new TurnBatches<WindowStates>(MAX_REQUESTS_PER_CALL, (_all, args, count) => this.check(args, count));

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { allowed: true, states: [] };
    const id = randomUUID();
    const keyed = checks.map((check) => ({ check, key: `{rl:${check.key}}` }));
    if (!(this.redis.command instanceof Cluster)) {
      const verdict = await this.turn.add('', ...request(id, keyed));
      return { allowed: verdict.allowed, states: checks.map((check, i) => ({ check, ...verdict.states[i]! })) };
    }
    const groups = groupBySlot(keyed);
    const verdicts = await Promise.all(groups.map((g) => this.check(request(id, g), 1).then((v) => v[0]!)));
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

  /** One rate-limit.lua call for `count` requests, each written by request(): its keys become KEYS, named by index. */
  private async check(args: readonly string[], count: number): Promise<WindowStates[]> {
    const keys: string[] = [];
    const index = new Map<string, number>();
    const argv: string[] = [];
    const windows: number[] = [];
    for (let a = 0; a < args.length;) {
      const n = Number(args[a + 1]);
      argv.push(args[a]!, args[a + 1]!);
      windows.push(n);
      a += 2;
      for (let j = 0; j < n; j++, a += 3) {
        const key = args[a]!;
        let i = index.get(key);
        if (i === undefined) {
          i = keys.push(key);
          index.set(key, i);
        }
        argv.push(String(i), args[a + 1]!, args[a + 2]!);
      }
    }
    const reply = await runScript(this.redis.command, 'rate-limit', keys, argv);
    if (!Array.isArray(reply) || reply.length !== count) throw new UnexpectedScriptReply('rate-limit', reply);
    return reply.map((r, i) => decodeRateLimit(r, windows[i]!));
  }
}

/** A request as rate-limit.lua takes it, with its windows' keys in place of their indexes. */
function request(id: string, windows: readonly { check: RateLimitCheck; key: string }[]): string[] {
  return [id, String(windows.length), ...windows.flatMap((w) => [w.key, String(w.check.policy.limit), String(w.check.policy.windowMs)])];
}

function groupBySlot<T extends { key: string }>(items: readonly T[]): T[][] {
  const bySlot = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(item.key);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), item]);
  }
  return [...bySlot.values()];
}
