import { Injectable } from '@nestjs/common';
import { OrderRepository } from '../../application/order-pipeline/order.repository.port';
import { Order } from '../../domain/order/order.entity';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { classifyDatabaseError } from './database-errors';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaOrderRepository extends OrderRepository {
  constructor(private readonly prisma: PrismaService) {
    super();
  }

  async saveBatch(orders: readonly Order[]): Promise<number> {
    if (orders.length === 0) return 0;
    try {
      return await this.write(orders);
    } catch (e) {
      throw classifyDatabaseError(e);
    }
  }

  async forUser(saleId: SaleId, userId: string): Promise<{ orderId: string; itemIds: number[]; purchasedAt: Date }[]> {
    const rows = await this.prisma.order.findMany({
      where: { saleId, userId },
      orderBy: { purchasedAt: 'asc' },
      select: { id: true, purchasedAt: true, items: { select: { itemId: true }, orderBy: { itemId: 'asc' } } },
    });
    return rows.map((r) => ({ orderId: r.id, itemIds: r.items.map((i) => i.itemId), purchasedAt: r.purchasedAt }));
  }

  async existing(orderIds: readonly string[]): Promise<Set<string>> {
    if (orderIds.length === 0) return new Set();
    const rows = await this.prisma.order.findMany({ where: { id: { in: [...orderIds] } }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }

  private write(batch: readonly Order[]): Promise<number> {
    // By id, for the same reason the items are locked by id below: two batches holding the same orders (a job
    // retried while its stalled run goes on) wait on each other's rows in one order, never in a cycle.
    const orders = [...batch].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // One short transaction of three statements, whatever the batch size. Only an order already written (its
    // id) is skipped: another order with the same checkout code is a conflict to park, never one to pass over. Plain SQL over unnested arrays:
    // Prisma's createMany spends ~300 µs of CPU per order in its query compiler (measured in the bench).
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO orders (id, sale_id, user_id, checkout_code, item_count, purchased_at)
        SELECT * FROM unnest(
          ${orders.map((o) => o.id)}::uuid[],
          ${orders.map((o) => o.saleId)}::int[],
          ${orders.map((o) => o.userId)}::varchar[],
          ${orders.map((o) => o.checkoutCode)}::varchar[],
          ${orders.map((o) => o.lines.length)}::int[],
          ${orders.map((o) => o.purchasedAt.toISOString())}::timestamptz[])
        ON CONFLICT (id) DO NOTHING
        RETURNING id`;
      if (created.length === 0) return 0;
      const fresh = new Set(created.map((c) => c.id));
      const lines = orders
        .filter((o) => fresh.has(o.id))
        .flatMap((o) => o.lines.map((l) => ({ orderId: o.id, itemId: l.itemId, unit: l.unit })));
      // No ON CONFLICT here: a unit already in another order must fail the batch (never sell twice).
      await tx.$executeRaw`
        INSERT INTO order_items (order_id, item_id, unit)
        SELECT * FROM unnest(${lines.map((l) => l.orderId)}::uuid[], ${lines.map((l) => l.itemId)}::int[], ${lines.map((l) => l.unit)}::int[])`;
      const perItem = new Map<number, number>();
      for (const l of lines) perItem.set(l.itemId, (perItem.get(l.itemId) ?? 0) + 1);
      // Rows locked in one order (by id) by every writer: an UPDATE ... FROM locks them in whatever order its
      // plan visits them, so two workers writing batches that share items could each hold one the other
      // needs (a deadlock PostgreSQL breaks by failing one batch). The count over `locked` is a one-time
      // condition, run in full before the UPDATE visits a row, so the ordered locking costs no round trip of
      // its own. NO KEY UPDATE is the UPDATE's own lock, which the foreign-key checks of other writers'
      // order_items (KEY SHARE) do not wait on.
      const ids = [...perItem.keys()];
      await tx.$executeRaw`
        WITH locked AS (SELECT id FROM items WHERE id = ANY(${ids}::int[]) ORDER BY id FOR NO KEY UPDATE)
        UPDATE items AS i
        SET sold_count = i.sold_count + s.n, sold = i.sold_count + s.n >= i.stock
        FROM (SELECT unnest(${ids}::int[]) AS id, unnest(${[...perItem.values()]}::int[]) AS n) AS s
        WHERE i.id = s.id AND (SELECT count(*) FROM locked) >= 0`;
      return created.length;
    });
  }

  countForSale(saleId: SaleId): Promise<number> {
    return this.prisma.order.count({ where: { saleId } });
  }
}
