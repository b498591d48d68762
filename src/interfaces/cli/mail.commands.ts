import { Command, Option } from 'nest-commander';
import { Mailer } from '../../application/identity/mailer.port';
import { CliCommand, CliOutput, positiveInt, table } from './cli-command';

@Command({
  name: 'mail:outbox',
  description: 'Mail kept when no SMTP_URL is set (sign-in codes in development), newest first',
})
export class MailOutboxCommand extends CliCommand {
  constructor(private readonly mailer: Mailer) {
    super();
  }

  protected async execute(_p: string[], o: { limit?: number; to?: string }): Promise<CliOutput> {
    const mails = await this.mailer.outbox(o.limit ?? 20, o.to);
    return { data: mails, text: table(mails.map((m) => ({ sentAt: m.sentAt, to: m.to, subject: m.subject }))) };
  }

  @Option({ flags: '--limit <n>', description: 'at most this many (default 20)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit')(raw);
  }

  @Option({ flags: '--to <email>', description: 'only mail to this address' })
  parseTo(raw: string): string {
    return raw;
  }
}
