import { Injectable } from '@nestjs/common';
import { Caller } from '../../domain/identity/caller';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { parseUserId } from '../../domain/user/user-id.value-object';
import { SessionStore } from './session-store.port';
import { TokenVerifier } from './token-verifier.port';
import { AuthSettings } from './auth-settings';

export interface Credentials {
  /** From "Authorization: Bearer ...". */
  readonly bearer?: string;
  /** From the session cookie. */
  readonly cookie?: string;
}

/**
 * Who is calling, from the request's credentials, per AUTH_MODE: a session (cookie or bearer token) in
 * session mode, a verified JWT in jwt mode. In trusted mode there is nothing to check: null.
 */
@Injectable()
export class AuthenticateUseCase {
  constructor(
    private readonly settings: AuthSettings,
    private readonly sessions: SessionStore,
    private readonly tokens: TokenVerifier,
  ) {}

  async execute(credentials: Credentials): Promise<Result<Caller | null, Rejection>> {
    switch (this.settings.mode) {
      case 'trusted':
        return ok(null);
      case 'session': {
        const token = credentials.bearer ?? credentials.cookie;
        if (!token)
          return err(reject(RejectionCode.Unauthorized, 'Sign in first: send the session cookie or "Authorization: Bearer <token>".'));
        const session = await this.sessions.get(token);
        if (!session) return err(reject(RejectionCode.Unauthorized, 'The session has expired or does not exist: sign in again.'));
        return ok({ userId: session.userId, verified: session.verified, email: session.email });
      }
      case 'jwt': {
        if (!credentials.bearer) return err(reject(RejectionCode.Unauthorized, 'Send "Authorization: Bearer <JWT>".'));
        const verified = await this.tokens.verify(credentials.bearer);
        if (!verified.ok) return err(reject(RejectionCode.Unauthorized, `The token is not valid: ${verified.reason}.`));
        const userId = parseUserId(verified.subject);
        if (!userId)
          return err(reject(RejectionCode.Unauthorized, "The token's subject is not a valid user id (1 to 64 of A-Z a-z 0-9 _ . : -)."));
        return ok({ userId, verified: true });
      }
    }
  }

  async logout(token: string): Promise<void> {
    await this.sessions.delete(token);
  }
}
