import { Command, Option } from 'nest-commander';
import { DeadLettersUseCase } from '../../application/orders/dead-letters.use-case';
import { ReconcileOrdersUseCase } from '../../application/orders/reconcile-orders.use-case';
import { OrderQueue } from '../../application/order-pipeline/order-queue.port';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CliCommand, CliFailure, CliOutput, positiveInt, table } from './cli-command';

@Command({
  name: 'orders:reconcile',
  description: 'Compare Redis with PostgreSQL: re-queue acknowledged purchases without an order, report items sold only in PostgreSQL',
})
export class ReconcileOrdersCommand extends CliCommand {
  constructor(private readonly reconcile: ReconcileOrdersUseCase) {
    super();
  }

  protected async execute(_params: string[], options: { sale?: number; graceMs?: number; force?: boolean }): Promise<CliOutput> {
    const sales = options.sale ? [options.sale as SaleId] : undefined;
    const report = await this.reconcile.execute(options.graceMs, sales, options.force ?? false);
    const rows = report.map((r) => ({
      sale: r.saleId,
      acknowledged: r.acknowledged,
      requeued: r.pipelineBusy ? 'skipped (pipeline behind)' : r.requeued,
      soldOnlyInPostgres: r.soldOnlyInPostgres.length,
    }));
    return { data: report, text: table(rows) };
  }

  @Option({ flags: '--sale <id>', description: 'only this sale (default: every loaded sale)' })
  parseSale(raw: string): number {
    return positiveInt('--sale')(raw);
  }

  @Option({ flags: '--force', description: 're-queue missing orders even while the outbox or queue holds work older than the grace period' })
  parseForce(): boolean {
    return true;
  }

  @Option({ flags: '--grace-ms <ms>', description: 'skip purchases younger than this, still on their way (default RECONCILE_GRACE_MS)' })
  parseGrace(raw: string): number {
    return /^[0-9]{1,9}$/.test(raw) ? Number(raw) : positiveInt('--grace-ms')(raw);
  }
}

@Command({ name: 'queue:status', description: 'Jobs in the order queue by state' })
export class QueueStatusCommand extends CliCommand {
  constructor(private readonly queue: OrderQueue) {
    super();
  }

  protected async execute(): Promise<CliOutput> {
    const counts = await this.queue.counts();
    return { data: counts, text: table([{ ...counts }]) };
  }
}

@Command({ name: 'queue:failed', description: 'List dead letters: order jobs that failed every attempt' })
export class QueueFailedCommand extends CliCommand {
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

  @Option({ flags: '--limit <n>', description: 'at most this many (default 100)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit')(raw);
  }
}

@Command({
  name: 'queue:retry',
  arguments: '[jobIds...]',
  description: 'Queue dead letters again (the given job ids, or all with --all) once their cause is fixed',
})
export class QueueRetryCommand extends CliCommand {
  constructor(private readonly deadLetters: DeadLettersUseCase) {
    super();
  }

  protected async execute(jobIds: string[], options: { all?: boolean }): Promise<CliOutput> {
    if (jobIds.length === 0 && !options.all) throw new CliFailure('name the job ids to retry, or pass --all');
    const retried = await this.deadLetters.retry(jobIds.length ? jobIds : undefined);
    return { data: { retried }, text: `${retried} job(s) queued again` };
  }

  @Option({ flags: '--all', description: 'retry every dead letter' })
  parseAll(): boolean {
    return true;
  }
}
