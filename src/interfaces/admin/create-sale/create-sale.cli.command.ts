import { isISO8601 } from 'class-validator';
import { Command, Option } from 'nest-commander';
import { CreateSaleUseCase } from '../../../application/sales/create-sale.use-case';
import { CliCommand, CliFailure, CliOutput, positiveInt, saleRow, table } from '../admin-cli';
import { WITH_ZONE } from './create-sale.request';

/** "now", "+30m", "+2h", "+1d" or an ISO 8601 time. */
function instant(name: string) {
  return (raw: string): Date => {
    const rel = /^\+(\d{1,9})([smhd])$/.exec(raw);
    if (raw === 'now') return new Date();
    const d = rel
      ? new Date(Date.now() + Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd'])
      : new Date(raw);
    // Strict as the HTTP door (IsISO8601 strict): `new Date` would roll 2026-02-30 over to 2 March.
    if ((!rel && !(WITH_ZONE.test(raw) && isISO8601(raw, { strict: true }))) || Number.isNaN(d.getTime()))
      throw new CliFailure(`${name} must be an ISO time with its zone (Z or +hh:mm), "now" or "+<n>m|h|d", got "${raw}"`);
    return d;
  };
}

/** `sale:create`: the CLI door of POST /admin/sales, with the same fields and defaults. */
@Command({ name: 'sale:create', description: 'Create a sale outside the hourly rhythm and load it (it must not overlap another)' })
export class CreateSaleCliCommand extends CliCommand {
  constructor(private readonly createSale: CreateSaleUseCase) {
    super();
  }

  protected async execute(
    _p: string[],
    o: { start?: Date; end?: Date; items?: number; cap?: number; limit?: number; units?: number; onePurchase?: boolean },
  ): Promise<CliOutput> {
    if (!o.start || !o.end || !o.items || !o.limit) throw new CliFailure('--start, --end, --items and --limit are required');
    const result = await this.createSale.execute({
      startsAt: o.start,
      endsAt: o.end,
      itemsTotal: o.items,
      perUserLimit: o.limit,
      saleCap: o.cap,
      unitsPerItem: o.units,
      onePurchasePerUser: o.onePurchase,
    });
    if (!result.ok) throw CliFailure.of(result.error);
    const { sale, created } = result.value;
    return { data: sale, text: (created ? '' : 'This very sale was there already:\n') + table([saleRow(sale)]) };
  }

  @Option({ flags: '--start <time>', description: 'when it opens: ISO time, "now" or "+10m"', required: true })
  parseStart(raw: string): Date {
    return instant('--start')(raw);
  }

  @Option({ flags: '--end <time>', description: 'when it closes: ISO time or "+1h"', required: true })
  parseEnd(raw: string): Date {
    return instant('--end')(raw);
  }

  @Option({ flags: '--items <n>', description: 'number of items', required: true })
  parseItems(raw: string): number {
    return positiveInt('--items')(raw);
  }

  @Option({ flags: '--limit <n>', description: 'units one user may buy', required: true })
  parseLimit(raw: string): number {
    return positiveInt('--limit')(raw);
  }

  @Option({ flags: '--cap <n>', description: 'units that may be sold in all (default: all of them)' })
  parseCap(raw: string): number {
    return positiveInt('--cap')(raw);
  }

  @Option({ flags: '--units <n>', description: 'units of each item (default 1)' })
  parseUnits(raw: string): number {
    return positiveInt('--units')(raw);
  }

  @Option({ flags: '--one-purchase', description: 'one purchase per user (on top of --limit items)' })
  parseOnePurchase(): boolean {
    return true;
  }
}
