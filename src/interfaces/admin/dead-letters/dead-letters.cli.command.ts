import { Command, Option } from 'nest-commander';
import { DeadLettersUseCase } from '../../../application/orders/dead-letters.use-case';
import { CliCommand, CliFailure, CliOutput, positiveInt, table } from '../admin-cli';

/** `queue:failed`: the CLI door of GET /admin/queue/failed. */
@Command({ name: 'queue:failed', description: 'List dead letters: order jobs that failed every attempt' })
export class QueueFailedCliCommand extends CliCommand {
  constructor(private readonly deadLetters: DeadLettersUseCase) {
    super();
  }

  protected async execute(_params: string[], options: { limit?: number }): Promise<CliOutput> {
    const letters = await this.deadLetters.list(options.limit ?? 100);
    const rows = letters.map((l) => ({
      job: l.jobId,
      orders: l.orderIds.length === 1 ? l.orderIds[0] : `${l.orderIds.length} orders`,
      attempts: l.attempts,
      failedAt: l.failedAt?.toISOString() ?? '',
      reason: l.reason.split('\n').pop()!.slice(0, 100),
    }));
    return { data: letters, text: table(rows) };
  }

  @Option({ flags: '--limit <n>', description: 'at most this many (default 100, up to 1000)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit', 1000)(raw);
  }
}

/** `queue:retry`: the CLI door of POST /admin/queue/retry. */
@Command({
  name: 'queue:retry',
  arguments: '[jobIds...]',
  description: 'Queue dead letters again (the given job ids, or all with --all) once their cause is fixed',
})
export class QueueRetryCliCommand extends CliCommand {
  constructor(private readonly deadLetters: DeadLettersUseCase) {
    super();
  }

  protected async execute(jobIds: string[], options: { all?: boolean }): Promise<CliOutput> {
    if (jobIds.length === 0 && !options.all) throw new CliFailure('name the job ids to retry, or pass --all');
    if (jobIds.length > 0 && options.all) throw new CliFailure('name the job ids to retry or pass --all, not both');
    const retried = await this.deadLetters.retry(jobIds.length ? jobIds : undefined);
    return { data: { retried }, text: `${retried} job(s) queued again` };
  }

  @Option({ flags: '--all', description: 'retry every dead letter' })
  parseAll(): boolean {
    return true;
  }
}
