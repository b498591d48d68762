import { Command, Option } from 'nest-commander';
import { MailOutboxUseCase } from '../../../application/identity/mail-outbox.use-case';
import { CliCommand, CliOutput, positiveInt, table } from '../admin-cli';

/** `mail:outbox` (no HTTP door: it shows sign-in codes, a development aid kept off the network). */
@Command({
  name: 'mail:outbox',
  description: 'Mail kept when no SMTP_URL is set (sign-in codes in development), newest first',
})
export class MailOutboxCliCommand extends CliCommand {
  constructor(private readonly mailOutbox: MailOutboxUseCase) {
    super();
  }

  protected async execute(_p: string[], o: { limit?: number; to?: string }): Promise<CliOutput> {
    const mails = await this.mailOutbox.execute(o.limit ?? 20, o.to);
    return { data: mails, text: table(mails.map((m) => ({ sentAt: m.sentAt, to: m.to, subject: m.subject }))) };
  }

  @Option({ flags: '--limit <n>', description: 'at most this many (default 20, up to 1000)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit', 1000)(raw);
  }

  @Option({ flags: '--to <email>', description: 'only mail to this address' })
  parseTo(raw: string): string {
    return raw;
  }
}
