import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckRateLimitsUseCase } from '../../../application/access/check-rate-limits.use-case';
import { RateLimitGroup, RateLimitVerdict } from '../../../application/access/rate-limit';
import { AuthSettings } from '../../../application/identity/auth-settings';
import { AuthenticateUseCase } from '../../../application/identity/authenticate.use-case';
import { Caller } from '../../../domain/identity/caller';
import { parseEmail } from '../../../domain/identity/email.value-object';
import { Rejection, RejectionCode, reject } from '../../../domain/shared/rejection';
import { parseUserId } from '../../../domain/user/user-id.value-object';
import { ACCESS_RULE, AccessRule } from './access.decorator';
import { RejectionException } from './rejection.exception';
import { cookieOf } from '../cookies';

export const SESSION_COOKIE = 'flashsale_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by AccessGuard (null in trusted mode or on public routes). */
    caller?: Caller | null;
  }
}

/** Routes without an @Access rule: public, limited as reads. */
const DEFAULT_RULE: AccessRule = { group: 'read', caller: 'none' };

/**
 * Every request passes here first (a global guard): it finds out who is calling (per AUTH_MODE) and counts
 * the request against its group's limits per client IP and per user, in one Redis round trip. Over a
 * limit: 429 with Retry-After; every limited answer carries the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers. Requests with bad credentials count against the IP's limit too. An IP
 * whose window this instance knows to be full is refused before its credentials are read: whatever they say,
 * the answer is that 429, so a flood of forged tokens or sessions from one address costs no lookups.
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
   * reads when reads are not limited.
   */
  check(rule: AccessRule, request: FastifyRequest, reply: FastifyReply): Promise<Rejection | null> | undefined {
    if (!this.readsCredentials(rule) && !(rule.group && this.rateLimits.limits(rule.group))) {
      request.caller = null;
      return undefined;
    }
    return this.checkAsking(rule, request, reply);
  }

  private async checkAsking(rule: AccessRule, request: FastifyRequest, reply: FastifyReply): Promise<Rejection | null> {
    let caller: Caller | null = null;
    let refusal: Rejection | null = null;
    const credentials = this.readsCredentials(rule) ? credentialsOf(request) : null;
    const anonymousAllowed = rule.caller === 'optional' && !credentials?.bearer && !credentials?.cookie;
    if (credentials && !anonymousAllowed) {
      const known = rule.group ? this.rateLimits.refusedFromMemory(rule.group, request.ip) : null;
      if (known) return this.answer(known, reply);
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
      const limited = await this.limit(rule.group, request, reply, refusal ? null : this.userKey(rule, request, caller));
      if (limited) return limited;
    }
    if (refusal) return refusal;
    request.caller = caller;
    return null;
  }

  /**
   * Whether the route learns who calls from credentials: not on public routes, nor with trusted user ids, nor
   * on a route for accounts' sessions when accounts are off (its handler answers 404, as the other account
   * routes do, rather than a JWT's 401 or a key outage's 503).
   */
  private readsCredentials(rule: AccessRule): boolean {
    if (rule.caller === 'session') return this.auth.mode === 'session';
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
    return verdict ? this.answer(verdict, reply) : null;
  }

  /** Sets the RateLimit fields from the verdict; the 429 if it refuses. */
  private answer(verdict: RateLimitVerdict, reply: FastifyReply): Rejection | null {
    reply.header(
      'ratelimit-policy',
      verdict.states.map((s) => `"${s.check.name}";q=${s.check.policy.limit};w=${Math.ceil(s.check.policy.windowMs / 1000)}`).join(', '),
    );
    reply.header('ratelimit', verdict.states.map((s) => `"${s.check.name}";r=${s.remaining};t=${Math.ceil(s.resetMs / 1000)}`).join(', '));
    if (verdict.allowed) return null;
    const blocking = verdict.states.filter((s) => s.remaining === 0);
    // A request needs room in every window: it may come back once the last full one frees.
    const retryAfter = Math.max(1, Math.ceil(Math.max(...blocking.map((s) => s.resetMs)) / 1000));
    const what = blocking.map((s) => `${s.check.policy.limit} per ${s.check.policy.windowMs / 1000} s (${s.check.name})`).join(' and ');
    return reject(RejectionCode.RateLimited, `Too many requests: at most ${what}.`, retryAfter);
  }
}

export function credentialsOf(request: FastifyRequest): { bearer?: string; cookie?: string } {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  return { bearer, cookie: cookieOf(request, SESSION_COOKIE) };
}
