import { CountedAnswer, RateLimitCheck } from '../../application/access/rate-limit';
import { Answer } from '../../application/shared/idempotency';
import { RedisRateLimiter } from './redis-rate-limiter';
import { UnexpectedScriptReply, decodeStep } from './script-replies';

/**
 * One call in a batched ledger script (checkout-batch.lua, purchase-batch.lua): its own arguments, and the
 * rate-limit windows the same step counts first (lib/rate-limit.lua), or null.
 */
export interface CountedCall {
  readonly args: readonly string[];
  readonly limits: readonly RateLimitCheck[] | null;
}

/**
 * KEYS and ARGV of a batched ledger script's call: `keys` (the sale's) followed by the windows' keys, and
 * `first` followed by each call's arguments and its windows.
 */
export function countedBatchArgs(
  limiter: RedisRateLimiter,
  keys: readonly string[],
  first: readonly string[],
  calls: readonly CountedCall[],
): { keys: string[]; argv: (string | number)[] } {
  const allKeys = [...keys];
  const index = new Map<string, number>();
  const argv: (string | number)[] = [...first];
  for (const call of calls) {
    for (const arg of call.args) argv.push(arg);
    limiter.appendRequest(call.limits, allKeys, index, argv);
  }
  return { keys: allKeys, argv };
}

/**
 * Each call's answer in a batched ledger script's reply: refused by its windows (its step did not run), or its
 * step's reply decoded (an Error fails that call alone), with its windows' state. `startedAt`: when the call
 * was sent (performance.now()), for the windows the limiter remembers full.
 */
export function countedReplies<R>(
  limiter: RedisRateLimiter,
  script: string,
  reply: unknown,
  calls: readonly CountedCall[],
  decode: (r: unknown) => R,
  startedAt: number,
): (CountedAnswer<Answer<R>> | Error)[] {
  if (!Array.isArray(reply) || reply.length !== calls.length) throw new UnexpectedScriptReply(script, reply);
  return calls.map((call, j) => {
    const r: unknown = reply[j];
    if (!call.limits?.length) {
      const result = decodeStep(script, r, decode);
      return result instanceof Error ? result : { result, replayed: false };
    }
    if (!Array.isArray(r) || r.length < 1 || r.length > 2) return new UnexpectedScriptReply(script, reply);
    let limits;
    try {
      limits = limiter.verdictOf(call.limits, r[0], startedAt);
    } catch (e) {
      return e as Error;
    }
    if (!limits.allowed) return { refusedBy: limits };
    const result = decodeStep(script, r[1], decode);
    return result instanceof Error ? result : { result, replayed: false, limits };
  });
}
