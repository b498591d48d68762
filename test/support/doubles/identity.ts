import { Account, AccountRepository } from '../../../src/application/identity/account.repository.port';
import { TokenKeysUnavailableError } from '../../../src/application/identity/identity.errors';
import { MailOutcome, Mailer, OutgoingMail } from '../../../src/application/identity/mailer.port';
import { PasswordHasher } from '../../../src/application/identity/password-hasher.port';
import { OtpCheck, Session, SessionStore } from '../../../src/application/identity/session-store.port';
import { TokenVerifier } from '../../../src/application/identity/token-verifier.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { Email } from '../../../src/domain/identity/email.value-object';

/** Accounts (PostgreSQL in production): one per e-mail address. */
export class InMemoryAccountRepository implements AccountRepository {
  private readonly byEmail = new Map<string, Account>();

  async create(account: Account): Promise<Account | null> {
    if (this.byEmail.has(account.email)) return null;
    this.byEmail.set(account.email, account);
    return account;
  }

  async findByEmail(email: Email): Promise<Account | null> {
    return this.byEmail.get(email) ?? null;
  }

  all(): Account[] {
    return [...this.byEmail.values()];
  }
}

/** A password "hash" that is readable in tests; counts the verifications it was asked for. */
export class FakePasswordHasher implements PasswordHasher {
  verifications = 0;
  /** Verifications spent on nothing (a login to an unknown address). */
  blankVerifications = 0;

  async hash(password: string): Promise<string> {
    return `fake-hash(${password})`;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return hash === `fake-hash(${password})`;
  }

  async verifyNothing(_password: string): Promise<void> {
    this.blankVerifications++;
  }
}

interface StoredSession {
  readonly session: Session;
  verified: boolean;
  codeDigest: string | null;
  readonly codeExpiresAt: number;
  attempts: number;
}

/** Sessions with a time to live, checked as scripts/lua/session-verify-code.lua checks them. */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  constructor(private readonly clock: Clock) {}

  async create(
    token: string,
    session: Omit<Session, 'verified' | 'expiresAt'>,
    codeDigest: string,
    ttlMs: number,
    codeTtlMs: number,
  ): Promise<Session> {
    const now = this.clock.now().getTime();
    const created: Session = { ...session, verified: false, expiresAt: new Date(now + ttlMs) };
    this.sessions.set(token, { session: created, verified: false, codeDigest, codeExpiresAt: now + codeTtlMs, attempts: 0 });
    return created;
  }

  async get(token: string): Promise<Session | null> {
    const s = this.live(token);
    return s ? { ...s.session, verified: s.verified } : null;
  }

  async verifyCode(token: string, codeDigest: string, maxAttempts: number): Promise<OtpCheck> {
    const s = this.live(token);
    if (!s) return { kind: 'no_session' };
    if (s.verified) return { kind: 'verified' };
    if (s.attempts >= maxAttempts) return { kind: 'locked' };
    if (this.clock.now().getTime() >= s.codeExpiresAt) return { kind: 'expired' };
    if (s.codeDigest === codeDigest) {
      s.verified = true;
      s.codeDigest = null;
      return { kind: 'verified' };
    }
    s.attempts++;
    return s.attempts >= maxAttempts ? { kind: 'locked' } : { kind: 'wrong', attemptsLeft: maxAttempts - s.attempts };
  }

  async delete(token: string): Promise<void> {
    this.sessions.delete(token);
  }

  /** The digest of the code stored with a session (null once verified). */
  codeDigestOf(token: string): string | null {
    return this.sessions.get(token)?.codeDigest ?? null;
  }

  private live(token: string): StoredSession | null {
    const s = this.sessions.get(token);
    if (!s) return null;
    if (this.clock.now().getTime() >= s.session.expiresAt.getTime()) {
      this.sessions.delete(token);
      return null;
    }
    return s;
  }
}

/** Keeps every mail sent; its outbox holds them all, newest first. */
export class RecordingMailer implements Mailer {
  readonly sent: (OutgoingMail & { sentAt: string })[] = [];

  constructor(
    readonly delivery: 'email' | 'outbox' = 'outbox',
    private readonly clock?: Clock,
  ) {}

  async send(mail: OutgoingMail): Promise<MailOutcome> {
    this.sent.push({ ...mail, sentAt: (this.clock?.now() ?? new Date(0)).toISOString() });
    return 'sent';
  }

  async outbox(limit: number, to?: string): Promise<(OutgoingMail & { sentAt: string })[]> {
    if (this.delivery === 'email') return [];
    return [...this.sent]
      .reverse()
      .filter((m) => to === undefined || m.to === to)
      .slice(0, limit);
  }
}

/** Tokens a test declared good (with their subject) verify; every other one is refused. */
export class FakeTokenVerifier implements TokenVerifier {
  private readonly good = new Map<string, string>();
  private keysDown = false;

  accept(token: string, subject: string): void {
    this.good.set(token, subject);
  }

  /** The identity provider's keys cannot be fetched until keysBack(). */
  keysUnavailable(): void {
    this.keysDown = true;
  }

  keysBack(): void {
    this.keysDown = false;
  }

  async verify(token: string): Promise<{ ok: true; subject: string } | { ok: false; reason: string }> {
    if (this.keysDown) throw new TokenKeysUnavailableError('JWKS endpoint did not answer');
    const subject = this.good.get(token);
    return subject === undefined ? { ok: false, reason: 'signature verification failed' } : { ok: true, subject };
  }
}
