import { Command } from 'nest-commander';
import { ListSalesUseCase } from '../../../application/sales/list-sales.use-case';
import { CliCommand, CliFailure, CliOutput, saleIdArg, saleRow, table } from '../admin-cli';

const counts = (byKey: Record<string, number> | undefined) =>
  byKey
    ? Object.entries(byKey)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '0'
    : '-';

/** `sale:show`: the CLI door of GET /admin/sales/:id. */
@Command({
  name: 'sale:show',
  arguments: '<saleId>',
  description: 'One sale with its live counters: sold, checkouts by result, orders written, outbox',
})
export class ShowSaleCliCommand extends CliCommand {
  constructor(private readonly listSales: ListSalesUseCase) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const result = await this.listSales.report(saleIdArg(id));
    if (!result.ok) throw CliFailure.of(result.error);
    const r = result.value;
    const lines = [
      table([saleRow(r.sale)]),
      '',
      `purchases acknowledged  ${r.stats?.purchasesAcknowledged ?? '-'}`,
      `orders written          ${r.ordersWritten}`,
      `outbox (not yet queued) ${r.outboxLength}`,
      `checkouts               ${counts(r.stats?.checkouts)}`,
      `purchase failures       ${counts(r.stats?.purchaseFailures)}`,
    ];
    return { data: r, text: lines.join('\n') };
  }
}
