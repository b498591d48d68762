import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthSettings } from '../../application/identity/auth-settings';
import { AuthenticateUseCase } from '../../application/identity/authenticate.use-case';
import { LoginUseCase } from '../../application/identity/login.use-case';
import { RegisterUseCase } from '../../application/identity/register.use-case';
import { VerifyCodeUseCase } from '../../application/identity/verify-code.use-case';
import { Access } from './access/access.decorator';
import { SESSION_COOKIE, credentialsOf } from './access/access.guard';
import { sendProblem } from './problem-details';

type Fields = { email?: unknown; password?: unknown; code?: unknown } | undefined;

/**
 * Buyer accounts (AUTH_MODE=session): register, sign in (a session as an HTTP-only cookie and as a bearer
 * token, plus a one-time code by mail), verify the code, sign out. GET /auth/me works in every mode.
 */
@Controller('auth')
export class AuthHttpController {
  constructor(
    private readonly register: RegisterUseCase,
    private readonly login: LoginUseCase,
    private readonly verifyCode: VerifyCodeUseCase,
    private readonly authenticate: AuthenticateUseCase,
    private readonly auth: AuthSettings,
  ) {}

  @Post('register')
  @Access({ group: 'auth', caller: 'none' })
  async registerAccount(@Body() body: Fields, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (this.accountsOff(reply)) return reply;
    const result = await this.register.execute(body?.email, body?.password);
    if (!result.ok) return sendProblem(reply, result.error.code, result.error.detail, { parameter: result.error.parameter });
    return reply.code(201).send(result.value);
  }

  @Post('login')
  @HttpCode(200)
  @Access({ group: 'auth', caller: 'none' })
  async signIn(@Body() body: Fields, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (this.accountsOff(reply)) return reply;
    const result = await this.login.execute(body?.email, body?.password);
    if (!result.ok) return sendProblem(reply, result.error.code, result.error.detail, { parameter: result.error.parameter });
    const { token, userId, expiresAt, codeDelivery } = result.value;
    reply.header('set-cookie', this.cookie(token, Math.floor((expiresAt.getTime() - Date.now()) / 1000)));
    return reply.send({ token, userId, expiresAt: expiresAt.toISOString(), verificationRequired: true, codeDelivery });
  }

  @Post('verify-otp')
  @HttpCode(200)
  @Access({ group: 'auth', caller: 'session' })
  async verify(@Body() body: Fields, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (this.accountsOff(reply)) return reply;
    const { bearer, cookie } = credentialsOf(request);
    const result = await this.verifyCode.execute((bearer ?? cookie)!, body?.code);
    if (!result.ok) {
      const { code, detail, parameter, attemptsLeft } = result.error;
      if (attemptsLeft !== undefined) reply.header('x-attempts-left', String(attemptsLeft));
      return sendProblem(reply, code, detail, { parameter });
    }
    return reply.send(result.value);
  }

  /** Idempotent: an expired or unknown session is signed out already; the cookie is cleared either way. */
  @Post('logout')
  @HttpCode(204)
  @Access({ group: 'auth', caller: 'none' })
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (this.accountsOff(reply)) return reply;
    // Every session the request carries ends: a client may hold a bearer token and a cookie from two sign-ins.
    const { bearer, cookie } = credentialsOf(request);
    for (const token of new Set([bearer, cookie])) if (token) await this.authenticate.logout(token);
    return reply.header('set-cookie', this.cookie('', 0)).code(204).send();
  }

  /** Who the caller is, if anyone, and how this service identifies buyers: without credentials not a 401. */
  @Get('me')
  @Access({ group: 'read', caller: 'optional' })
  me(@Req() request: FastifyRequest): { mode: string; userId: string | null; email: string | null; verified: boolean } {
    const c = request.caller;
    return { mode: this.auth.mode, userId: c?.userId ?? null, email: c?.email ?? null, verified: c?.verified ?? false };
  }

  private accountsOff(reply: FastifyReply): boolean {
    if (this.auth.mode === 'session') return false;
    sendProblem(reply, 'not_found', `Accounts are off: AUTH_MODE is ${this.auth.mode}.`);
    return true;
  }

  /** HTTP-only (scripts cannot read it) and SameSite=Lax (not sent on cross-site POSTs). */
  private cookie(token: string, maxAgeSeconds: number): string {
    const secure = this.auth.cookieSecure ? '; Secure' : '';
    return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
  }
}
