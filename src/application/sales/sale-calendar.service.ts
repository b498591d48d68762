import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { SaleRegistry } from '../ports/sale-registry.port';

/**
 * This instance's in-memory copy of the shared sale registry, so the hot path finds the open sale without
 * a round trip. It is refreshed every second or so (interfaces/background) and updated at once when this
 * instance loads a sale. Being a little stale is safe: the scripts check the sale's window on Redis's clock.
 */
@Injectable()
export class SaleCalendar {
  private sales: readonly Sale[] = [];

  constructor(private readonly registry: SaleRegistry) {}

  /** Reloads from the registry the sales that ended after `since`. */
  async refresh(since: Date): Promise<void> {
    this.sales = await this.registry.listEndingAfter(since);
  }

  remember(sale: Sale): void {
    this.sales = [...this.sales.filter((s) => s.id !== sale.id), sale].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  }

  openAt(at: Date): Sale | null {
    for (const sale of this.sales) if (sale.isOpenAt(at)) return sale;
    return null;
  }

  nextAfter(at: Date): Sale | null {
    for (const sale of this.sales) if (sale.startsAt.getTime() > at.getTime()) return sale;
    return null;
  }

  find(id: SaleId): Sale | null {
    return this.sales.find((s) => s.id === id) ?? null;
  }

  /** Every sale this instance knows of: the open one, upcoming ones and recently ended ones. */
  all(): readonly Sale[] {
    return this.sales;
  }
}
