import { Injectable } from '@nestjs/common';
import { BuyerTally, ItemStock } from '../../application/sales/sale-ledger-loader.port';
import { CreateSaleResult, ItemView, SaleRepository } from '../../application/sales/sale.repository.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleTerms } from '../../domain/sale/sale-terms.value-object';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Prisma, Sale as SaleRow } from './generated/client';
import { PrismaService } from './prisma.service';

/** A sales row as Prisma's model names its fields, for raw queries. */
const SALE_COLUMNS = Prisma.sql`id, started_at AS "startedAt", ended_at AS "endedAt", items_total AS "itemsTotal",
  sale_cap AS "saleCap", per_user_limit AS "perUserLimit", units_per_item AS "unitsPerItem",
  one_purchase_per_user AS "onePurchasePerUser", paused, created_at AS "createdAt"`;

function toSale(row: SaleRow): Sale {
  return Sale.restore(row.id as SaleId, SaleWindow.of(row.startedAt, row.endedAt), {
    itemsTotal: row.itemsTotal,
    saleCap: row.saleCap,
    perUserLimit: row.perUserLimit,
    unitsPerItem: row.unitsPerItem,
    onePurchasePerUser: row.onePurchasePerUser,
  });
}

@Injectable()
export class PrismaSaleRepository extends SaleRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  async createWithItems(window: SaleWindow, terms: SaleTerms, itemNames: readonly string[]): Promise<CreateSaleResult> {
    // Nearly every call (every scheduler run on every instance) finds its sale there already: answered by a
    // read, with no transaction, and no sale id drawn from the sequence by an insert that then does nothing
    // (10 instances would use up the int4 ids in about 17 years).
    const existing = await this.overlapping(this.prisma, window);
    if (existing) return existing;
    return this.prisma.$transaction(
      async (tx) => {
        // The exclusion constraint on sales makes a racing insert wait for ours and then do nothing, so
        // exactly one sale (with its items) exists per window however many instances try at once.
        const inserted = await tx.$queryRaw<{ id: number }[]>`
          INSERT INTO sales (started_at, ended_at, items_total, sale_cap, per_user_limit, units_per_item, one_purchase_per_user)
          VALUES (${window.startsAt}::timestamptz, ${window.endsAt}::timestamptz, ${terms.itemsTotal}, ${terms.saleCap},
                  ${terms.perUserLimit}, ${terms.unitsPerItem}, ${terms.onePurchasePerUser})
          ON CONFLICT DO NOTHING
          RETURNING id`;
        if (inserted.length === 0) {
          const other = await this.overlapping(tx, window);
          if (!other) throw new Error('sale insert conflicted but no overlapping sale is visible');
          return other;
        }
        const id = inserted[0]!.id;
        // One INSERT of an unnested array: ids come out consecutive, and 10,000 items take milliseconds.
        await tx.$executeRaw`
          INSERT INTO items (sale_id, name, stock)
          SELECT ${id}::int, name, ${terms.unitsPerItem}::int FROM unnest(${[...itemNames]}::varchar[]) WITH ORDINALITY AS t(name, n)
          ORDER BY n`;
        return { kind: 'created', sale: Sale.restore(id as SaleId, window, terms) };
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }

  /** The sale that overlaps the window, if any: "exists" when it is that very window. */
  private async overlapping(
    db: Pick<PrismaService, '$queryRaw'>,
    window: SaleWindow,
  ): Promise<Exclude<CreateSaleResult, { kind: 'created' }> | null> {
    const others = await db.$queryRaw<SaleRow[]>`
      SELECT ${SALE_COLUMNS} FROM sales
      WHERE tstzrange(started_at, ended_at) && tstzrange(${window.startsAt}::timestamptz, ${window.endsAt}::timestamptz)
      ORDER BY started_at LIMIT 1`;
    const other = others[0];
    if (!other) return null;
    const sale = toSale(other);
    const same = sale.startsAt.getTime() === window.startsAt.getTime() && sale.endsAt.getTime() === window.endsAt.getTime();
    return same ? { kind: 'exists', sale } : { kind: 'overlaps', other: sale };
  }

  async findById(id: SaleId): Promise<Sale | null> {
    const row = await this.prisma.sale.findUnique({ where: { id } });
    return row ? toSale(row) : null;
  }

  async listRecent(limit: number): Promise<Sale[]> {
    const rows = await this.prisma.sale.findMany({ orderBy: { startedAt: 'desc' }, take: limit });
    return rows.map(toSale);
  }

  async listNotEndedAt(at: Date, limit: number): Promise<Sale[]> {
    // Phrased as a range overlap so that the exclusion constraint's GiST index answers it.
    return (
      await this.prisma.$queryRaw<SaleRow[]>`
        SELECT ${SALE_COLUMNS} FROM sales
        WHERE tstzrange(started_at, ended_at) && tstzrange(${at}::timestamptz, NULL)
        ORDER BY started_at LIMIT ${limit}`
    ).map(toSale);
  }

  async listItems(saleId: SaleId, afterId: ItemId | null, limit: number): Promise<ItemView[]> {
    const rows = await this.prisma.item.findMany({
      where: { saleId, ...(afterId === null ? {} : { id: { gt: afterId } }) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, name: true, stock: true, sold: true },
    });
    return rows.map((r) => ({ ...r, id: r.id as ItemId }));
  }

  async itemIds(saleId: SaleId): Promise<ItemId[]> {
    const rows = await this.prisma.item.findMany({ where: { saleId }, select: { id: true }, orderBy: { id: 'asc' } });
    return rows.map((r) => r.id as ItemId);
  }

  async soldUnits(saleId: SaleId): Promise<number> {
    const agg = await this.prisma.item.aggregate({ where: { saleId }, _sum: { soldCount: true } });
    return agg._sum.soldCount ?? 0;
  }

  async soldPerItem(saleId: SaleId): Promise<Map<ItemId, { sold: number; stock: number }>> {
    const rows = await this.prisma.item.findMany({
      where: { saleId, soldCount: { gt: 0 } },
      select: { id: true, soldCount: true, stock: true },
    });
    return new Map(rows.map((r) => [r.id as ItemId, { sold: r.soldCount, stock: r.stock }]));
  }

  async stockForLoad(saleId: SaleId): Promise<{ items: ItemStock[]; buyers: BuyerTally[]; sold: number; paused: boolean }> {
    // One snapshot: an order written between the two reads would otherwise count against its buyer's limit
    // while its items load as unsold.
    const [sale, rows, tallies] = await this.prisma.$transaction(
      async (tx) =>
        [
          await tx.sale.findUnique({ where: { id: saleId }, select: { paused: true } }),
          await tx.item.findMany({ where: { saleId }, orderBy: { id: 'asc' }, select: { id: true, stock: true, soldCount: true } }),
          await tx.order.groupBy({ by: ['userId'], where: { saleId }, _sum: { itemCount: true }, _count: { _all: true } }),
        ] as const,
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 60_000, maxWait: 10_000 },
    );
    let sold = 0;
    const items = rows.map((r) => {
      sold += r.soldCount;
      return { id: r.id as ItemId, unitsLeft: Math.max(0, r.stock - r.soldCount) };
    });
    const buyers = tallies.map((t) => ({ userId: t.userId, units: t._sum.itemCount ?? 0, purchases: t._count._all }));
    return { items, buyers, sold, paused: sale?.paused ?? false };
  }

  async setPaused(saleId: SaleId, paused: boolean): Promise<void> {
    await this.prisma.sale.updateMany({ where: { id: saleId }, data: { paused } });
  }

  async pausedAmong(saleIds: readonly SaleId[]): Promise<Set<SaleId>> {
    const rows = await this.prisma.sale.findMany({ where: { id: { in: [...saleIds] }, paused: true }, select: { id: true } });
    return new Set(rows.map((r) => r.id as SaleId));
  }
}
