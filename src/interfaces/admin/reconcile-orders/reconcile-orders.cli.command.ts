import { Command, Option } from 'nest-commander';
import { ReconcileOrdersUseCase } from '../../../application/orders/reconcile-orders.use-case';
import { SaleId } from '../../../domain/sale/sale-id.value-object';
import { CliCommand, CliOutput, positiveInt, table } from '../admin-cli';

/** `orders:reconcile`: the CLI door of POST /admin/orders/reconcile. */
@Command({
  name: 'orders:reconcile',
  description: 'Compare Redis with PostgreSQL: re-queue acknowledged purchases without an order, report items sold only in PostgreSQL',
})
export class ReconcileOrdersCliCommand extends CliCommand {
  constructor(private readonly reconcile: ReconcileOrdersUseCase) {
    super();
  }

  protected async execute(_params: string[], options: { sale?: number; graceMs?: number; force?: boolean }): Promise<CliOutput> {
    const sales = options.sale ? [options.sale as SaleId] : undefined;
    const report = await this.reconcile.execute(options.graceMs, sales, options.force ?? false);
    const rows = report.map((r) => ({
      sale: r.saleId,
      acknowledged: r.acknowledged,
      requeued: r.pipelineBusy
        ? 'skipped (pipeline behind)'
        : r.replicaUnconfirmed
          ? `${r.requeued}, the rest held (no replica confirmed)`
          : r.requeued,
      deadLettered: r.deadLettered,
      soldOnlyInPostgres: r.soldOnlyInPostgres.length,
    }));
    return { data: report, text: table(rows) };
  }

  @Option({ flags: '--sale <id>', description: 'only this sale (default: every loaded sale)' })
  parseSale(raw: string): number {
    return positiveInt('--sale')(raw);
  }

  @Option({
    flags: '--force',
    description: 're-queue missing orders even while the outbox or queue holds work older than the grace period',
  })
  parseForce(): boolean {
    return true;
  }

  @Option({ flags: '--grace-ms <ms>', description: 'skip purchases younger than this, still on their way (default RECONCILE_GRACE_MS)' })
  parseGrace(raw: string): number {
    return positiveInt('--grace-ms', 86_400_000, 0)(raw);
  }
}
