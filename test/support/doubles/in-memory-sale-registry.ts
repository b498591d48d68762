import { RegisteredSale, SaleRegistry, HeldPastRetention } from '../../../src/application/sales/sale-registry.port';
import { ItemSet } from '../../../src/domain/sale/item-set.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { Sale } from '../../../src/domain/sale/sale.entity';

/** The shared list of loaded sales (a Redis sorted set by end time in production). */
export class InMemorySaleRegistry implements SaleRegistry {
  private readonly entries = new Map<SaleId, RegisteredSale>();
  /** How many times a sale was registered. */
  registrations = 0;

  async register(sale: Sale, items: ItemSet): Promise<void> {
    this.registrations++;
    this.entries.set(sale.id, { sale, items });
  }

  /** A registry entry written without its items (an older instance wrote it). */
  registerWithoutItems(sale: Sale): void {
    this.entries.set(sale.id, { sale, items: null });
  }

  async listEndingAfter(since: Date): Promise<RegisteredSale[]> {
    return [...this.entries.values()]
      .filter((e) => e.sale.endsAt.getTime() > since.getTime())
      .sort((a, b) => a.sale.startsAt.getTime() - b.sale.startsAt.getTime());
  }

  /** No ledger behind it: nothing is ever left on its way to PostgreSQL. */
  async forgetEndedBefore(before: Date): Promise<HeldPastRetention[]> {
    for (const [id, e] of this.entries) if (e.sale.endsAt.getTime() < before.getTime()) this.entries.delete(id);
    return [];
  }

  /** Drops the sale's entry, as a failover to a replica that had not received it does. */
  lose(saleId: SaleId): void {
    this.entries.delete(saleId);
  }

  has(saleId: SaleId): boolean {
    return this.entries.has(saleId);
  }
}
