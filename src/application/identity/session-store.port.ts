import { Email } from '../../domain/identity/email.value-object';
import { UserId } from '../../domain/user/user-id.value-object';

export interface Session {
  readonly userId: UserId;
  readonly email: Email;
  readonly verified: boolean;
  readonly expiresAt: Date;
}

export type OtpCheck =
  | { readonly kind: 'verified' }
  | { readonly kind: 'wrong'; readonly attemptsLeft: number }
  | { readonly kind: 'locked' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'no_session' };

/**
 * Login sessions (Redis, with a time to live). Only a digest of the token is stored, so a copy of the store
 * cannot be replayed as sessions.
 */
export abstract class SessionStore {
  /** Stores a new unverified session with a digest of its one-time code. */
  abstract create(
    token: string,
    session: Omit<Session, 'verified' | 'expiresAt'>,
    codeDigest: string,
    ttlMs: number,
    codeTtlMs: number,
  ): Promise<Session>;
  abstract get(token: string): Promise<Session | null>;
  /** Checks a code against the session's, atomically counting wrong tries and locking after `maxAttempts`. */
  abstract verifyCode(token: string, codeDigest: string, maxAttempts: number): Promise<OtpCheck>;
  abstract delete(token: string): Promise<void>;
}
