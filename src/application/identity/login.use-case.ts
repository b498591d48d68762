import { Injectable } from '@nestjs/common';
import { parseEmail } from '../../domain/identity/email.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { AccountRepository } from './account.repository.port';
import { IdGenerator } from '../shared/id-generator.port';
import { MailOutcome, Mailer } from './mailer.port';
import { PasswordHasher } from './password-hasher.port';
import { SessionStore } from './session-store.port';
import { AuthSettings } from './auth-settings';
import { oneTimeCodeDigest } from './one-time-code-digest';

export interface LoginResult {
  readonly token: string;
  readonly userId: string;
  readonly expiresAt: Date;
  /** Always true: a new session must verify the one-time code mailed to the account before buying. */
  readonly verificationRequired: true;
  /** Where the code went: the account's inbox, or (no SMTP configured) the server log and mail outbox. */
  readonly codeDelivery: 'email' | 'outbox';
}

/** Checks the password, opens an unverified session, and mails its one-time code. */
@Injectable()
export class LoginUseCase {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionStore,
    private readonly mailer: Mailer,
    private readonly ids: IdGenerator,
    private readonly settings: AuthSettings,
  ) {}

  async execute(rawEmail: unknown, password: unknown): Promise<Result<LoginResult, Rejection & { parameter?: string }>> {
    // A field missing or not a string is a malformed request (400, naming it), which tells nothing about
    // accounts; an address or password that is merely wrong is answered as wrong.
    const malformed = (parameter: string) => err({ ...reject(RejectionCode.InvalidRequest, `${parameter} must be a string.`), parameter });
    if (typeof rawEmail !== 'string') return malformed('email');
    if (typeof password !== 'string') return malformed('password');
    const email = parseEmail(rawEmail);
    const wrong = reject(RejectionCode.InvalidCredentials, 'Wrong e-mail address or password.');
    if (!email) return err(wrong);
    const account = await this.accounts.findByEmail(email);
    // An unknown address costs the same time as a wrong password, so timing tells nothing about accounts.
    if (!account) {
      await this.hasher.verifyNothing(password);
      return err(wrong);
    }
    if (!(await this.hasher.verify(account.passwordHash, password))) return err(wrong);

    const token = this.ids.sessionToken();
    const code = this.ids.oneTimeCode();
    const session = await this.sessions.create(
      token,
      { userId: account.userId, email: account.email },
      oneTimeCodeDigest(token, code),
      this.settings.sessionTtlMs,
      this.settings.codeTtlMs,
    );
    const lasts = validity(this.settings.codeTtlMs);
    let outcome: MailOutcome;
    try {
      outcome = await this.mailer.send({
        to: account.email,
        subject: `Your Flashsale code: ${code}`,
        text: `Your Flashsale sign-in code is ${code}. It is valid for ${lasts}.\nIf you did not try to sign in, ignore this mail.`,
      });
    } catch (e) {
      // No code reached the buyer, so the session could never be verified: not left behind.
      await this.sessions.delete(token).catch(() => undefined);
      throw e;
    }
    if (outcome === 'recipient_refused') {
      // Told only to someone who knows the password: the address itself is the trouble, and trying again
      // changes nothing (the 503 of a mail server that is away would invite retries for ever).
      await this.sessions.delete(token).catch(() => undefined);
      return err(reject(RejectionCode.EmailUndeliverable));
    }
    return ok({
      token,
      userId: account.userId,
      expiresAt: session.expiresAt,
      verificationRequired: true,
      codeDelivery: this.mailer.delivery,
    });
  }
}

/** How long a code lasts, never more than it has: whole minutes (rounded down) from two minutes, else seconds. */
function validity(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= 120_000 || ms === 60_000) return plural(Math.floor(ms / 60_000), 'minute');
  return plural(Math.floor(ms / 1000), 'second');
}
