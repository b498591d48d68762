import { Injectable } from '@nestjs/common';
import { parseOneTimeCode } from '../../domain/identity/one-time-code';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { SessionStore } from './session-store.port';
import { AuthSettings } from './auth-settings';
import { oneTimeCodeDigest } from './one-time-code-digest';

/** Checks the one-time code of a session; wrong codes are counted and lock the step after a few. */
@Injectable()
export class VerifyCodeUseCase {
  constructor(
    private readonly sessions: SessionStore,
    private readonly settings: AuthSettings,
  ) {}

  async execute(
    token: string,
    rawCode: unknown,
  ): Promise<Result<{ verified: true }, Rejection & { attemptsLeft?: number; parameter?: string }>> {
    const code = parseOneTimeCode(rawCode);
    if (!code) return err({ ...reject(RejectionCode.InvalidRequest, 'code must be the six digits we sent you.'), parameter: 'code' });
    const check = await this.sessions.verifyCode(token, oneTimeCodeDigest(token, code), this.settings.codeMaxAttempts);
    switch (check.kind) {
      case 'verified':
        return ok({ verified: true });
      case 'wrong':
        return err({
          ...reject(RejectionCode.InvalidCode, `That code is not right; ${check.attemptsLeft} attempt(s) left.`),
          attemptsLeft: check.attemptsLeft,
        });
      case 'locked':
        return err(reject(RejectionCode.VerificationLocked, 'Too many wrong codes: sign in again to get a new one.'));
      case 'expired':
        return err(reject(RejectionCode.VerificationLocked, 'The code has expired: sign in again to get a new one.'));
      default:
        return err(reject(RejectionCode.Unauthorized, 'The session has expired or does not exist: sign in again.'));
    }
  }
}
