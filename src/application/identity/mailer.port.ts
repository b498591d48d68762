import { Email } from '../../domain/identity/email.value-object';

export interface OutgoingMail {
  readonly to: Email;
  readonly subject: string;
  readonly text: string;
}

/** Sends e-mail: over SMTP when configured, otherwise to the log and an outbox the admin CLI can read. */
export abstract class Mailer {
  /** Where mail ends up: an inbox (SMTP), or the log and outbox (development). */
  abstract readonly delivery: 'email' | 'outbox';
  abstract send(mail: OutgoingMail): Promise<void>;
  /**
   * The most recent mails kept in the outbox (newest first), only those to `to` when given; empty when mail
   * goes out over SMTP.
   */
  abstract outbox(limit: number, to?: string): Promise<(OutgoingMail & { sentAt: string })[]>;
}
