import { BuyerTally, ItemStock } from '../../../src/application/sales/sale-ledger-loader.port';
import { CreateSaleResult, ItemView, SaleRepository } from '../../../src/application/sales/sale.repository.port';
import { Order } from '../../../src/domain/order/order.entity';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { SaleTerms } from '../../../src/domain/sale/sale-terms.value-object';
import { SaleWindow } from '../../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../../src/domain/sale/sale.entity';

interface ItemRow {
  readonly id: ItemId;
  readonly saleId: SaleId;
  readonly name: string;
  readonly stock: number;
  soldCount: number;
}

/**
 * Sales and their items as PostgreSQL keeps them: sales never overlap (the exclusion constraint), a sale's
 * items get consecutive ids, and what written orders sold is counted per item and per buyer.
 */
export class InMemorySaleRepository implements SaleRepository {
  private readonly sales = new Map<SaleId, Sale>();
  private readonly items: ItemRow[] = [];
  private readonly buyers = new Map<SaleId, Map<string, { units: number; purchases: number }>>();
  private readonly paused = new Set<SaleId>();
  private nextSaleId = 1;
  private nextItemId = 1;

  async createWithItems(window: SaleWindow, terms: SaleTerms, itemNames: readonly string[]): Promise<CreateSaleResult> {
    const other = [...this.sales.values()]
      .filter((s) => s.startsAt.getTime() < window.endsAt.getTime() && window.startsAt.getTime() < s.endsAt.getTime())
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())[0];
    if (other) {
      const same = other.startsAt.getTime() === window.startsAt.getTime() && other.endsAt.getTime() === window.endsAt.getTime();
      return same ? { kind: 'exists', sale: other } : { kind: 'overlaps', other };
    }
    const sale = Sale.restore(this.nextSaleId++ as SaleId, window, terms);
    this.sales.set(sale.id, sale);
    for (const name of itemNames)
      this.items.push({ id: this.nextItemId++ as ItemId, saleId: sale.id, name, stock: terms.unitsPerItem, soldCount: 0 });
    return { kind: 'created', sale };
  }

  /** Puts a sale that already exists (from a mother) in the database, with its items from `firstItemId` on. */
  add(sale: Sale, firstItemId: number): void {
    this.sales.set(sale.id, sale);
    this.nextSaleId = Math.max(this.nextSaleId, sale.id + 1);
    for (let i = 0; i < sale.terms.itemsTotal; i++) {
      this.items.push({
        id: (firstItemId + i) as ItemId,
        saleId: sale.id,
        name: `Item ${i + 1}`,
        stock: sale.terms.unitsPerItem,
        soldCount: 0,
      });
    }
    this.nextItemId = Math.max(this.nextItemId, firstItemId + sale.terms.itemsTotal);
  }

  /** What writing an order does to the sale's items and its buyer's tally (the order writer's transaction). */
  recordWrittenOrder(order: Order): void {
    for (const line of order.lines) {
      const row = this.items.find((i) => i.id === line.itemId);
      if (row) row.soldCount++;
    }
    let tallies = this.buyers.get(order.saleId);
    if (!tallies) {
      tallies = new Map();
      this.buyers.set(order.saleId, tallies);
    }
    const t = tallies.get(order.userId) ?? { units: 0, purchases: 0 };
    tallies.set(order.userId, { units: t.units + order.lines.length, purchases: t.purchases + 1 });
  }

  async findById(id: SaleId): Promise<Sale | null> {
    return this.sales.get(id) ?? null;
  }

  async listRecent(limit: number): Promise<Sale[]> {
    return [...this.sales.values()].sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime()).slice(0, limit);
  }

  async listNotEndedAt(at: Date, limit: number): Promise<Sale[]> {
    return [...this.sales.values()]
      .filter((s) => s.endsAt.getTime() > at.getTime())
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
      .slice(0, limit);
  }

  async listItems(saleId: SaleId, afterId: ItemId | null, limit: number): Promise<ItemView[]> {
    return this.itemsOf(saleId)
      .filter((i) => afterId === null || i.id > afterId)
      .slice(0, limit)
      .map((i) => ({ id: i.id, name: i.name, stock: i.stock, sold: i.soldCount >= i.stock }));
  }

  async soldPerItem(saleId: SaleId): Promise<Map<ItemId, { sold: number; stock: number }>> {
    return new Map(
      this.itemsOf(saleId)
        .filter((i) => i.soldCount > 0)
        .map((i) => [i.id, { sold: i.soldCount, stock: i.stock }]),
    );
  }

  async itemIds(saleId: SaleId): Promise<ItemId[]> {
    return this.itemsOf(saleId).map((i) => i.id);
  }

  async soldUnits(saleId: SaleId): Promise<number> {
    return this.itemsOf(saleId).reduce((n, i) => n + i.soldCount, 0);
  }

  async stockForLoad(saleId: SaleId): Promise<{ items: ItemStock[]; buyers: BuyerTally[]; sold: number; paused: boolean }> {
    const rows = this.itemsOf(saleId);
    const items = rows.map((r) => ({ id: r.id, unitsLeft: Math.max(0, r.stock - r.soldCount) }));
    const buyers = [...(this.buyers.get(saleId) ?? new Map<string, { units: number; purchases: number }>())].map(([userId, t]) => ({
      userId,
      ...t,
    }));
    return { items, buyers, sold: rows.reduce((n, r) => n + r.soldCount, 0), paused: this.paused.has(saleId) };
  }

  async pausedAmong(saleIds: readonly SaleId[]): Promise<Set<SaleId>> {
    return new Set(saleIds.filter((id) => this.paused.has(id)));
  }

  async setPaused(saleId: SaleId, paused: boolean): Promise<void> {
    if (paused) this.paused.add(saleId);
    else this.paused.delete(saleId);
  }

  private itemsOf(saleId: SaleId): ItemRow[] {
    return this.items.filter((i) => i.saleId === saleId).sort((a, b) => a.id - b.id);
  }
}
