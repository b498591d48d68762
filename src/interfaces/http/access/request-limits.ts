import type { FastifyReply } from 'fastify';
import { CheckRateLimitsUseCase } from '../../../application/access/check-rate-limits.use-case';
import {
  RateLimitCheck,
  RateLimitGroup,
  RateLimitVerdict,
  UncountedLimits,
  rateLimitRefusal,
} from '../../../application/access/rate-limit';
import { Rejection } from '../../../domain/shared/rejection';
import { sendRejection } from '../problem-details';

/**
 * Writes a verdict's RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers) on the
 * answer, and gives its 429 when a window was full.
 */
export function answerLimits(verdict: RateLimitVerdict, reply: FastifyReply): Rejection | null {
  reply.header(
    'ratelimit-policy',
    verdict.states.map((s) => `"${s.check.name}";q=${s.check.policy.limit};w=${Math.ceil(s.check.policy.windowMs / 1000)}`).join(', '),
  );
  reply.header('ratelimit', verdict.states.map((s) => `"${s.check.name}";r=${s.remaining};t=${Math.ceil(s.resetMs / 1000)}`).join(', '));
  return rateLimitRefusal(verdict);
}

/**
 * A buy request's windows, left by AccessGuard to the use case to count (UncountedLimits): the use case's
 * ledger call counts them, or the use case counts them first on any other path. Every verdict is recorded
 * and written on the answer as AccessGuard writes its own.
 */
export class RequestLimits implements UncountedLimits {
  private uncounted: readonly RateLimitCheck[] | null;
  private settled = false;

  constructor(
    private readonly group: RateLimitGroup,
    private readonly checks: readonly RateLimitCheck[],
    private readonly rateLimits: CheckRateLimitsUseCase,
    private readonly reply: FastifyReply,
  ) {
    this.uncounted = checks;
  }

  take(): readonly RateLimitCheck[] | null {
    const checks = this.uncounted;
    this.uncounted = null;
    return checks;
  }

  async count(): Promise<Rejection | null> {
    const checks = this.take();
    return checks ? this.settle(await this.rateLimits.count(this.group, checks)) : null;
  }

  settle(verdict: RateLimitVerdict): Rejection | null {
    this.settled = true;
    return answerLimits(this.rateLimits.recorded(this.group, verdict), this.reply);
  }

  /**
   * For a request about to be answered with an error: counts its windows in a call of their own unless a
   * verdict was settled, so that no error answer (a 403 before the use case, a failed script call after the
   * windows were taken) is a way past the limits. When the failed call had counted them already, they count
   * twice: the rare failure errs on the side of limiting.
   */
  async countUnlessSettled(): Promise<Rejection | null> {
    if (this.settled) return null;
    this.uncounted = null;
    return this.settle(await this.rateLimits.count(this.group, this.checks));
  }
}

/**
 * Answers a request refused before its use case ran (bad input, not admitted): its uncounted windows are
 * counted first, as AccessGuard would have, and a full one answers 429 instead.
 */
export async function countBeforeAnswering(reply: FastifyReply, answer: () => FastifyReply): Promise<FastifyReply> {
  const limited = await reply.request.uncountedLimits?.count();
  return limited ? sendRejection(reply, limited) : answer();
}
