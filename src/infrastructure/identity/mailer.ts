import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import { MailUnavailableError } from '../../application/identity/identity.errors';
import { MailOutcome, Mailer, OutgoingMail } from '../../application/identity/mailer.port';
import { AppConfig } from '../config/app-config';
import { RedisConnections } from '../redis/redis-connections';

const OUTBOX_KEY = 'flashsale:mail-outbox';
const OUTBOX_SIZE = 1000;
const OUTBOX_TTL_SECONDS = 24 * 3600;
/** How long an SMTP server may take to connect, greet, or answer a step. */
const MAIL_TIMEOUT_MS = 5_000;

/**
 * The enhanced status codes (RFC 3463) of a permanent refusal that is about the address itself: no such
 * mailbox (5.1.1), no such domain (5.1.2), a malformed address (5.1.3), a mailbox moved away (5.1.6), a
 * domain that takes no mail (5.1.10, RFC 7505), a disabled mailbox (5.2.1). A bare "550" is not enough: relays
 * answer it too when they refuse us ("5.7.1 relaying denied"), which is the service's trouble.
 */
const ADDRESS_REFUSED = /^5\d\d[ -]5\.(?:1\.(?:1|2|3|6|10)|2\.1)(?!\d)/;

/** Whether nodemailer failed because the receiving server refused the one recipient for good. */
export function isRecipientRefusedForGood(e: unknown): boolean {
  const failure = e as { code?: unknown; command?: unknown; response?: unknown } | null;
  return (
    failure?.code === 'EENVELOPE' &&
    failure.command === 'RCPT TO' &&
    typeof failure.response === 'string' &&
    ADDRESS_REFUSED.test(failure.response)
  );
}

/**
 * Mail over SMTP (nodemailer) when SMTP_URL is set. Without it, for development and tests, each mail goes to
 * the log and to a capped outbox in Redis that `npm run cli -- mail:outbox` reads.
 */
@Injectable()
export class SmtpOrOutboxMailer extends Mailer implements OnApplicationShutdown {
  private readonly logger = new Logger('Mailer');
  private readonly transport: Transporter | null;
  readonly delivery: 'email' | 'outbox';

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisConnections,
  ) {
    super();
    // A sign-in waits for its mail: an SMTP server that stalls must fail it within seconds (503), not hold it
    // for nodemailer's defaults (2 minutes to connect, 10 on the socket). The URL's own settings come first.
    this.transport = config.SMTP_URL
      ? nodemailer.createTransport({
          url: config.SMTP_URL,
          connectionTimeout: MAIL_TIMEOUT_MS,
          greetingTimeout: MAIL_TIMEOUT_MS,
          socketTimeout: MAIL_TIMEOUT_MS,
        })
      : null;
    this.delivery = this.transport ? 'email' : 'outbox';
  }

  async send(mail: OutgoingMail): Promise<MailOutcome> {
    if (this.transport) {
      try {
        await this.transport.sendMail({ from: this.config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text });
      } catch (e) {
        if (isRecipientRefusedForGood(e)) return 'recipient_refused';
        // Whatever else the SMTP server did (away, refused the login, the sender, or the recipient for now or
        // for its own policy), the mail is not out: the service's trouble, never a bug (500).
        throw new MailUnavailableError(`mail not sent: ${(e as Error).message}`, { cause: e });
      }
      return 'sent';
    }
    this.logger.log(`mail to ${mail.to} (no SMTP_URL, kept in the mail outbox): ${mail.subject}`);
    await this.redis.command
      .multi()
      .lpush(OUTBOX_KEY, JSON.stringify({ ...mail, sentAt: new Date().toISOString() }))
      .ltrim(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)
      .expire(OUTBOX_KEY, OUTBOX_TTL_SECONDS)
      .exec();
    return 'sent';
  }

  async outbox(limit: number, to?: string): Promise<(OutgoingMail & { sentAt: string })[]> {
    // Filtered before the limit, so a busy outbox cannot push one address's mail out of sight (it is capped).
    const raw = await this.redis.command.lrange(OUTBOX_KEY, 0, to === undefined ? limit - 1 : -1);
    const mails = raw.map((r) => JSON.parse(r) as OutgoingMail & { sentAt: string });
    return (to === undefined ? mails : mails.filter((m) => m.to === to.toLowerCase())).slice(0, limit);
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
