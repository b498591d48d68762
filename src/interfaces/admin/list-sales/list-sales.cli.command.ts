import { Command, Option } from 'nest-commander';
import { ListSalesUseCase } from '../../../application/sales/list-sales.use-case';
import { CliCommand, CliOutput, positiveInt, saleRow, table } from '../admin-cli';

/** `sale:list`: the CLI door of GET /admin/sales. */
@Command({ name: 'sale:list', description: 'The most recent sales with their status' })
export class ListSalesCliCommand extends CliCommand {
  constructor(private readonly listSales: ListSalesUseCase) {
    super();
  }

  protected async execute(_p: string[], o: { limit?: number }): Promise<CliOutput> {
    const sales = await this.listSales.recent(o.limit ?? 20);
    return { data: sales, text: table(sales.map(saleRow)) };
  }

  @Option({ flags: '--limit <n>', description: 'at most this many (default 20, up to 500)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit', 500)(raw);
  }
}
