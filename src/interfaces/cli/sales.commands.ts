import { Command, Option } from 'nest-commander';
import { UserPurchasesUseCase } from '../../application/orders/user-purchases.use-case';
import { CreateSaleUseCase } from '../../application/sales/create-sale.use-case';
import { ListSalesUseCase } from '../../application/sales/list-sales.use-case';
import { PauseSaleUseCase } from '../../application/sales/pause-sale.use-case';
import { SaleView } from '../../application/sales/sale-view';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { parseUserId } from '../../domain/user/user-id.value-object';
import { CliCommand, CliFailure, CliOutput, positiveInt, table } from './cli-command';

const saleRow = (s: SaleView) => ({
  id: s.id,
  status: s.status,
  startsAt: s.startsAt,
  endsAt: s.endsAt,
  sold: `${s.itemsSold}/${Math.min(s.saleCap, s.itemsTotal)}`,
  perUserLimit: s.perUserLimit,
});

function saleIdArg(raw: string | undefined): SaleId {
  if (raw === undefined) throw new CliFailure('missing the sale id');
  return positiveInt('sale id')(raw) as SaleId;
}

function instant(name: string) {
  return (raw: string): Date => {
    // "now", "+30m", "+2h" or an ISO 8601 time.
    const rel = /^\+(\d+)([smhd])$/.exec(raw);
    if (raw === 'now') return new Date();
    if (rel) return new Date(Date.now() + Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd']);
    const d = new Date(raw);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(d.getTime()))
      throw new CliFailure(`${name} must be an ISO time, "now" or "+<n>m|h|d", got "${raw}"`);
    return d;
  };
}

@Command({ name: 'sale:create', description: 'Create a sale outside the hourly rhythm and load it (it must not overlap another)' })
export class CreateSaleCommand extends CliCommand {
  constructor(private readonly createSale: CreateSaleUseCase) {
    super();
  }

  protected async execute(
    _p: string[],
    o: { start?: Date; end?: Date; items?: number; cap?: number; limit?: number; units?: number; onePurchase?: boolean },
  ): Promise<CliOutput> {
    if (!o.start || !o.end || !o.items) throw new CliFailure('--start, --end and --items are required');
    const result = await this.createSale.execute({
      startsAt: o.start,
      endsAt: o.end,
      itemsTotal: o.items,
      saleCap: o.cap ?? o.items * (o.units ?? 1),
      perUserLimit: o.limit ?? 10,
      unitsPerItem: o.units,
      onePurchasePerUser: o.onePurchase ?? false,
    });
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: table([saleRow(result.value)]) };
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

  @Option({ flags: '--cap <n>', description: 'units that may be sold in all (default: all of them)' })
  parseCap(raw: string): number {
    return positiveInt('--cap')(raw);
  }

  @Option({ flags: '--limit <n>', description: 'units one user may buy (default 10)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit')(raw);
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

@Command({ name: 'sale:list', description: 'The most recent sales with their status' })
export class ListSalesCommand extends CliCommand {
  constructor(private readonly listSales: ListSalesUseCase) {
    super();
  }

  protected async execute(_p: string[], o: { limit?: number }): Promise<CliOutput> {
    const sales = await this.listSales.recent(o.limit ?? 20);
    return { data: sales, text: table(sales.map(saleRow)) };
  }

  @Option({ flags: '--limit <n>', description: 'at most this many (default 20)' })
  parseLimit(raw: string): number {
    return positiveInt('--limit')(raw);
  }
}

@Command({
  name: 'sale:show',
  arguments: '<saleId>',
  description: 'One sale with its live counters: sold, checkouts by result, orders written, outbox',
})
export class ShowSaleCommand extends CliCommand {
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
      `checkouts               ${
        r.stats
          ? Object.entries(r.stats.checkouts)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ') || '0'
          : '-'
      }`,
      `purchase failures       ${
        r.stats
          ? Object.entries(r.stats.purchaseFailures)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ') || '0'
          : '-'
      }`,
    ];
    return { data: r, text: lines.join('\n') };
  }
}

@Command({
  name: 'sale:pause',
  arguments: '<saleId>',
  description: 'Pause a sale: checkout and purchase answer 409 sale_paused until it is resumed',
})
export class PauseSaleCommand extends CliCommand {
  constructor(private readonly pauseSale: PauseSaleUseCase) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const result = await this.pauseSale.pause(saleIdArg(id));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: `sale ${result.value.id} is ${result.value.status}` };
  }
}

@Command({ name: 'sale:resume', arguments: '<saleId>', description: 'Resume a paused sale' })
export class ResumeSaleCommand extends CliCommand {
  constructor(private readonly pauseSale: PauseSaleUseCase) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const result = await this.pauseSale.resume(saleIdArg(id));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: `sale ${result.value.id} is ${result.value.status}` };
  }
}

@Command({
  name: 'user:purchases',
  arguments: '<saleId> <userId>',
  description: "What a user bought in a sale: the ledger's count and the written orders",
})
export class UserPurchasesCommand extends CliCommand {
  constructor(private readonly userPurchases: UserPurchasesUseCase) {
    super();
  }

  protected async execute([id, user]: string[]): Promise<CliOutput> {
    const userId = parseUserId(user);
    if (!userId) throw new CliFailure('the user id must be 1 to 64 characters of A-Z a-z 0-9 _ . : -');
    const result = await this.userPurchases.execute(saleIdArg(id), userId);
    if (!result.ok) throw CliFailure.of(result.error);
    const r = result.value;
    const head = `user ${r.userId} in sale ${r.saleId}: ${r.unitsBought ?? '?'} of ${r.perUserLimit} bought, ${r.unitsPending} not yet written`;
    const rows = r.orders.map((o) => ({ order: o.orderId, items: o.itemIds.join(','), purchasedAt: o.purchasedAt }));
    return { data: r, text: `${head}\n${table(rows)}` };
  }
}
