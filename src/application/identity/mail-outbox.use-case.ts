import { Injectable } from '@nestjs/common';
import { Mailer, OutgoingMail } from './mailer.port';

/** The mail kept when no SMTP server is configured (sign-in codes in development), newest first. */
@Injectable()
export class MailOutboxUseCase {
  constructor(private readonly mailer: Mailer) {}

  execute(limit: number, to?: string): Promise<(OutgoingMail & { sentAt: string })[]> {
    return this.mailer.outbox(limit, to);
  }
}
