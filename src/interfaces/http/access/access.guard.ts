import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckRateLimitsUseCase } from '../../../application/access/check-rate-limits.use-case';
import { RateLimitGroup } from '../../../application/access/rate-limit';
import { AuthSettings } from '../../../application/identity/auth-settings';
import { AuthenticateUseCase } from '../../../application/identity/authenticate.use-case';
import { Caller } from '../../../domain/identity/caller';
import { parseEmail } from '../../../domain/identity/email.value-object';
import { Rejection, RejectionCode, reject } from '../../../domain/shared/rejection';
import { parseUserId } from '../../../domain/user/user-id.value-object';
import { ACCESS_RULE, AccessRule } from './access.decorator';
import { RejectionException } from './rejection.exception';
import { RequestLimits, answerLimits } from './request-limits';
import { cookieOf } from '../cookies';

export const SESSION_COOKIE = 'flashsale_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by AccessGuard (null in trusted mode or on public routes). */
    caller?: Caller | null;
    /** The request's rate-limit windows, when AccessGuard left them to the use case to count (AccessRule.countedByUseCase). */
    uncountedLimits?: RequestLimits;
  }
}

/** Routes without an @Access rule: public, limited as reads. */
const DEFAULT_RULE: AccessRule = { group: 'read', caller: 'none' };

/**
 * Every request passes here first (a global guard): it finds out who is calling (per AUTH_MODE) and counts
 * the request against its group's limits per client IP and per user, in one Redis round trip. Over a
 * limit: 429 with Retry-After; every limited answer carries the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers. Requests with bad credentials count against the IP's limit too.
 * On one server or Sentinel, a checkout or purchase (AccessRule.countedByUseCase) is not counted here: its
 * windows go with it to the use case (request.uncountedLimits), whose batched ledger call counts them in the
 * same script call as the work, one call instead of two; only a window remembered full refuses it here.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly rules = new WeakMap<object, AccessRule>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticate: AuthenticateUseCase,
    private readonly auth: AuthSettings,
    private readonly rateLimits: CheckRateLimitsUseCase,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const refusal = await this.check(this.ruleOf(context), http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    if (refusal) throw new RejectionException(refusal);
    return true;
  }

  /**
   * The check itself, for a route's rule: sets request.caller, or answers the refusal (401, 403, 429) as a
   * value, an expected outcome that costs no exception (a bot past its limit is refused thousands of times a
   * second). The guard runs it for Nest's routes; the hot routes registered on Fastify directly call it too.
   * Done at once, without a promise (undefined: the request may pass), when there is nothing to ask (no
   * credentials to read, no limit to count): the common case of trusted mode with limits off, and of public
   * reads when reads are not limited, and of checkouts and purchases whose windows the use case counts.
   */
  check(rule: AccessRule, request: FastifyRequest, reply: FastifyReply): Promise<Rejection | null> | undefined {
    if (!this.readsCredentials(rule)) {
      if (!(rule.group && this.rateLimits.limits(rule.group))) {
        request.caller = null;
        return undefined;
      }
      // Trusted mode, windows left to the use case: nothing to wait for either.
      if (rule.countedByUseCase && this.rateLimits.countsWithLedger) {
        request.caller = null;
        const limited = this.leaveToUseCase(rule.group, request, reply, this.userKey(rule, request, null));
        return limited ? Promise.resolve(limited) : undefined;
      }
    }
    return this.checkAsking(rule, request, reply);
  }

  private async checkAsking(rule: AccessRule, request: FastifyRequest, reply: FastifyReply): Promise<Rejection | null> {
    let caller: Caller | null = null;
    let refusal: Rejection | null = null;
    const credentials = this.readsCredentials(rule) ? credentialsOf(request) : null;
    const anonymousAllowed = rule.caller === 'optional' && !credentials?.bearer && !credentials?.cookie;
    if (credentials && !anonymousAllowed) {
      const result = await this.authenticate.execute(credentials);
      if (result.ok) caller = result.value;
      else refusal = result.error;
      if (!refusal && rule.caller === 'buyer' && caller && !caller.verified) {
        refusal = reject(
          RejectionCode.VerificationRequired,
          'Enter the code we sent you (POST /auth/verify-otp) before checking out or buying.',
        );
      }
    }

    if (rule.group && this.rateLimits.limits(rule.group)) {
      const user = refusal ? null : this.userKey(rule, request, caller);
      const limited =
        rule.countedByUseCase && !refusal && this.rateLimits.countsWithLedger
          ? this.leaveToUseCase(rule.group, request, reply, user)
          : await this.limit(rule.group, request, reply, user);
      if (limited) return limited;
    }
    if (refusal) return refusal;
    request.caller = caller;
    return null;
  }

  /** Whether the route learns who calls from credentials (not on public routes, nor with trusted user ids). */
  private readsCredentials(rule: AccessRule): boolean {
    return rule.caller !== 'none' && this.auth.mode !== 'trusted';
  }

  /** The route's rule, looked up once per handler (metadata never changes at run time). */
  private ruleOf(context: ExecutionContext): AccessRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      rule = this.reflector.getAllAndOverride<AccessRule>(ACCESS_RULE, [handler, context.getClass()]) ?? DEFAULT_RULE;
      this.rules.set(handler, rule);
    }
    return rule;
  }

  /** Who the per-user limit counts: the caller, a trusted user_id, or for sign-in the account's address. */
  private userKey(rule: AccessRule, request: FastifyRequest, caller: Caller | null): string | null {
    if (caller) return caller.userId;
    if (rule.group === 'auth') return parseEmail((request.body as { email?: unknown } | undefined)?.email) ?? null;
    if (this.auth.mode === 'trusted') return parseUserId((request.query as { user_id?: unknown } | undefined)?.user_id) ?? null;
    return null;
  }

  /** Counts the request; sets the RateLimit fields, and answers the 429 if a window is full. */
  private async limit(group: RateLimitGroup, request: FastifyRequest, reply: FastifyReply, user: string | null): Promise<Rejection | null> {
    const verdict = await this.rateLimits.execute(group, request.ip, user);
    return verdict && answerLimits(verdict, reply);
  }

  /** Leaves the request's windows to its use case to count (RequestLimits), unless one is remembered full. */
  private leaveToUseCase(group: RateLimitGroup, request: FastifyRequest, reply: FastifyReply, user: string | null): Rejection | null {
    const checks = this.rateLimits.checksFor(group, request.ip, user);
    if (!checks) return null;
    const remembered = this.rateLimits.remembered(group, checks);
    if (remembered) return answerLimits(remembered, reply);
    request.uncountedLimits = new RequestLimits(group, checks, this.rateLimits, reply);
    return null;
  }
}

export function credentialsOf(request: FastifyRequest): { bearer?: string; cookie?: string } {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  return { bearer, cookie: cookieOf(request, SESSION_COOKIE) };
}
