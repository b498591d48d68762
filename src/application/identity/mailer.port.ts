import { Email } from '../../domain/identity/email.value-object';

export interface OutgoingMail {
  readonly to: Email;
  readonly subject: string;
  readonly text: string;
}

/**
 * How a send ended, when it did not fail: `sent`, or `recipient_refused` when the receiving mail server
 * refused the address for good (no such mailbox or domain), which no retry changes. Any other failure (the
 * server away, slow, refusing us) is the service's trouble and throws MailUnavailableError.
 */
export type MailOutcome = 'sent' | 'recipient_refused';

/** Sends e-mail: over SMTP when configured, otherwise to the log and an outbox the admin CLI can read. */
export abstract class Mailer {
  /** Where mail ends up: an inbox (SMTP), or the log and outbox (development). */
  abstract readonly delivery: 'email' | 'outbox';
  abstract send(mail: OutgoingMail): Promise<MailOutcome>;
  /**
   * The most recent mails kept in the outbox (newest first), only those to `to` when given; empty when mail
   * goes out over SMTP.
   */
  abstract outbox(limit: number, to?: string): Promise<(OutgoingMail & { sentAt: string })[]>;
}
