import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { RateLimitCheck, RateLimitVerdict } from '../../application/access/rate-limit';
import { RateLimiter } from '../../application/access/rate-limiter.port';
import { FullWindows } from './full-windows';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { UnexpectedScriptReply, decodeRateLimit } from './script-replies';
import { TurnBatches } from './turn-batches';

/** At most this many requests per rate-limit.lua call (one server or Sentinel), as for checkouts. */
const MAX_REQUESTS_PER_CALL = 16;

type WindowStates = { allowed: boolean; states: { remaining: number; resetMs: number }[] };

/** One request as rate-limit.lua counts it: its id (a window's member) and its windows. */
interface LimitedRequest {
  readonly id: string;
  readonly windows: readonly { readonly check: RateLimitCheck; readonly key: string }[];
}

/**
 * Sliding-window limits in Redis (scripts/lua/rate-limit.lua). Each window is its own key with its own hash
 * tag, so on Redis Cluster the limiter's traffic spreads over every shard. On one server (or Sentinel) the
 * requests of one turn of the event loop go together, one atomic check per request in one call (a call per
 * request cost a round trip each). On a Cluster, windows in different slots are checked in parallel, one
 * atomic call per slot; if one of them refuses, the request is taken back out of the windows that let it
 * through (rate-limit-undo.lua), so a refused request still counts nowhere, and no window ever lets more
 * than its limit through. On one server or Sentinel, a window seen full refuses the requests that name it
 * here until its oldest request leaves it (FullWindows): a client past its limit costs Redis nothing.
 * Only windows whose checks say so (sign-in's) are written to the AOF and the replicas; the others stay on the
 * primary (see rate-limit.lua).
 */
@Injectable()
export class RedisRateLimiter extends RateLimiter {
  /** A turn's requests on one server, for the next rate-limit.lua call. */
  private readonly turn = new TurnBatches<LimitedRequest, WindowStates>(MAX_REQUESTS_PER_CALL, (_all, requests) => this.check(requests));
  /**
   * Request ids: unique among every instance's requests in a window (this process's random prefix, then a
   * count). Short, as each is stored once per window it passes: a UUID cost Redis 15% more memory.
   */
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private requests = 0;
  /** One server or Sentinel only (see FullWindows). */
  private readonly full = new FullWindows();

  constructor(private readonly redis: RedisConnections) {
    super();
    // A new connection may be to another primary (a Sentinel failover) that lost the latest entries.
    redis.command.on('ready', () => this.full.clear());
  }

  async hit(checks: readonly RateLimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { allowed: true, states: [] };
    const keyed = checks.map((check) => ({ check, key: `{rl:${check.key}}` }));
    if (!(this.redis.command instanceof Cluster)) {
      const startedAt = performance.now();
      const known = this.refusalFromMemory(checks, keyed, startedAt);
      if (known) return known;
      const verdict = await this.turn.add('', { id: this.nextId(), windows: keyed });
      let answeredAt: number | undefined;
      for (let i = 0; i < keyed.length; i++) {
        const state = verdict.states[i]!;
        if (state.remaining === 0) this.full.remember(keyed[i]!.key, startedAt, state.resetMs, (answeredAt ??= performance.now()));
      }
      return { allowed: verdict.allowed, states: checks.map((check, i) => ({ check, ...verdict.states[i]! })) };
    }
    const id = this.nextId();
    const groups = groupBySlot(keyed);
    // Each slot bounded like any request's call: one shard stuck in retries must not hold the request.
    const settled = await Promise.allSettled(groups.map((g) => this.redis.bounded(this.check([{ id, windows: g }])).then((v) => v[0]!)));
    const verdictOf = (i: number): WindowStates | undefined => {
      const s = settled[i]!;
      return s.status === 'fulfilled' ? s.value : undefined;
    };
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const allowed = !failed && groups.every((_, i) => verdictOf(i)!.allowed);
    if (!allowed && groups.length > 1) {
      // A request refused, or not answered by every slot (a shard failing over), counts nowhere: every slot
      // that let it in, or may have (its call failed after the script ran), takes it back out. The undo is a
      // removal by request id, harmless where it was never added. Best effort: one that fails leaves one entry,
      // which ages out.
      await Promise.allSettled(
        groups
          .filter((_, i) => verdictOf(i)?.allowed !== false)
          .map((g) =>
            this.redis.bounded(
              runScript(
                this.redis.command,
                'rate-limit-undo',
                g.map((k) => k.key),
                [id, ...replicatedKeys(g)],
              ),
            ),
          ),
      );
    }
    const stateOf = new Map(
      groups.flatMap((g, i) => {
        const verdict = verdictOf(i);
        if (!verdict) return [];
        return g.map((k, j) => {
          const state = verdict.states[j]!;
          // A window that let the request in before another refused it no longer counts it: one more place.
          const undone = !allowed && verdict.allowed;
          return [k.check, undone ? { ...state, remaining: Math.min(k.check.policy.limit, state.remaining + 1) } : state] as const;
        });
      }),
    );
    if (failed) {
      // A slot that answered refused: that is the answer (a 429 naming the windows known full), not a 503.
      const refused = checks.filter((check) => stateOf.get(check)?.remaining === 0);
      if (refused.length === 0 || groups.every((_, i) => verdictOf(i)?.allowed !== false)) throw failed.reason;
      return { allowed: false, states: refused.map((check) => ({ check, ...stateOf.get(check)! })) };
    }
    return { allowed, states: checks.map((check) => ({ check, ...stateOf.get(check)! })) };
  }

  knownFull(checks: readonly RateLimitCheck[]): RateLimitVerdict | null {
    if (checks.length === 0 || this.redis.command instanceof Cluster) return null;
    return this.refusalFromMemory(
      checks,
      checks.map((check) => ({ key: `{rl:${check.key}}` })),
      performance.now(),
    );
  }

  private refusalFromMemory(checks: readonly RateLimitCheck[], keyed: readonly { key: string }[], now: number): RateLimitVerdict | null {
    const full = this.full.refusal(keyed, now);
    if (!full) return null;
    return { allowed: false, remembered: true, states: full.map((f) => ({ check: checks[f.index]!, remaining: 0, resetMs: f.resetMs })) };
  }

  private nextId(): string {
    return this.idPrefix + (this.requests++).toString(36);
  }

  /** Forgets the windows seen full: call it when windows were emptied behind the limiter's back. */
  forgetFullWindows(): void {
    this.full.clear();
  }

  /**
   * One rate-limit.lua call for these requests: their windows' keys become KEYS, each named once, by index,
   * and the replicated ones are listed first.
   */
  private async check(requests: readonly LimitedRequest[]): Promise<WindowStates[]> {
    const keys: string[] = [];
    const index = new Map<string, number>();
    const replicated: number[] = [];
    const argv: (string | number)[] = [0];
    for (const { id, windows } of requests) {
      argv.push(id, windows.length);
      for (const { check, key } of windows) {
        let i = index.get(key);
        if (i === undefined) {
          i = keys.push(key);
          index.set(key, i);
          if (check.replicated) replicated.push(i);
        }
        argv.push(i, check.policy.limit, check.policy.windowMs);
      }
    }
    if (replicated.length > 0) argv.splice(0, 1, replicated.length, ...replicated);
    const reply = await runScript(this.redis.command, 'rate-limit', keys, argv);
    if (!Array.isArray(reply) || reply.length !== requests.length) throw new UnexpectedScriptReply('rate-limit', reply);
    return reply.map((r, i) => decodeRateLimit(r, requests[i]!.windows.length));
  }
}

/** rate-limit-undo.lua's list of the replicated windows among these keys (indices into KEYS). */
function replicatedKeys(windows: readonly { readonly check: RateLimitCheck }[]): number[] {
  return windows.flatMap((w, i) => (w.check.replicated ? [i + 1] : []));
}

function groupBySlot<T extends { key: string }>(items: readonly T[]): T[][] {
  const bySlot = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(item.key);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), item]);
  }
  return [...bySlot.values()];
}
