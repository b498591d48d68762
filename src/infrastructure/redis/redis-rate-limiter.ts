import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { RateLimitCheck, RateLimitVerdict } from '../../application/access/rate-limit';
import { RateLimiter } from '../../application/access/rate-limiter.port';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { decodeRateLimit, decodeRateLimitBatch } from './script-replies';

type Keyed = { check: RateLimitCheck; key: string };

/** Requests waiting for the next rate-limit-batch.lua call. */
interface PendingHits {
  readonly keys: string[];
  readonly args: (string | number)[];
  readonly waiters: { keyed: Keyed[]; resolve: (v: RateLimitVerdict) => void; reject: (e: unknown) => void }[];
}

/** At most this many requests per rate-limit-batch.lua call, so one call never holds Redis for long. */
const MAX_HITS_PER_CALL = 500;

/**
 * Sliding-window limits in Redis (scripts/lua/rate-limit.lua). Each window is its own key with its own hash
 * tag, so on Redis Cluster the limiter's traffic spreads over every shard. On one server (or Sentinel) a
 * request's windows are checked in one atomic call. On a Cluster, windows in different slots are checked in
 * parallel, one atomic call per slot; if one of them refuses, the request is taken back out of the windows
 * that let it through (rate-limit-undo.lua), so a refused request still counts nowhere, and no window ever
 * lets more than its limit through. Elsewhere the requests of one turn of the event loop are checked together
 * in one rate-limit-batch.lua call (one round trip for all, each request exactly as rate-limit.lua would).
 */
@Injectable()
export class RedisRateLimiter extends RateLimiter {
  private pending: PendingHits | null = null;
  private readonly idPrefix = randomUUID();
  private nextId = 0;

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { allowed: true, states: [] };
    const keyed = checks.map((check) => ({ check, key: `{rl:${check.key}}` }));
    if (!(this.redis.command instanceof Cluster)) return this.enqueue(keyed);
    const id = randomUUID();
    const groups = groupBySlot(keyed);
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

  /** Queues a request for the turn's batch (the same server holds every window). */
  private enqueue(keyed: Keyed[]): Promise<RateLimitVerdict> {
    return new Promise<RateLimitVerdict>((resolve, reject) => {
      if (!this.pending) {
        this.pending = { keys: [], args: [], waiters: [] };
        setImmediate(() => this.flush());
      }
      const p = this.pending;
      // Ids only need to be unique within a window: a per-process random prefix and a counter.
      p.args.push(
        `${this.idPrefix}:${++this.nextId}`,
        keyed.length,
        ...keyed.flatMap((k) => [k.check.policy.limit, k.check.policy.windowMs]),
      );
      p.keys.push(...keyed.map((k) => k.key));
      p.waiters.push({ keyed, resolve, reject });
      if (p.waiters.length >= MAX_HITS_PER_CALL) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = null;
    if (!batch) return;
    // Through a promise even if runScript throws: this runs from setImmediate, where a throw would be fatal.
    Promise.resolve()
      .then(() => runScript(this.redis.command, 'rate-limit-batch', batch.keys, [batch.waiters.length, ...batch.args]))
      .then((reply) =>
        decodeRateLimitBatch(
          reply,
          batch.waiters.map((w) => w.keyed.length),
        ),
      )
      .then(
        (verdicts) =>
          batch.waiters.forEach((w, i) =>
            w.resolve({ allowed: verdicts[i]!.allowed, states: w.keyed.map((k, j) => ({ check: k.check, ...verdicts[i]!.states[j]! })) }),
          ),
        (e: unknown) => batch.waiters.forEach((w) => w.reject(e)),
      );
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
