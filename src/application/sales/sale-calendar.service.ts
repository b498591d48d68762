import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { ItemSet } from '../../domain/sale/item-set.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Clock } from '../shared/clock.port';
import { RegisteredSale, SaleRegistry } from './sale-registry.port';
import { SaleSettings } from './sale-settings';

/**
 * This instance's in-memory copy of the shared sale registry, so the hot path finds the open sale (and
 * which sale an item belongs to) without a round trip. It is refreshed every second or so
 * (interfaces/background) and updated at once when this instance loads a sale. Being a little stale is
 * safe: the scripts check the sale's window on Redis's clock.
 */
@Injectable()
export class SaleCalendar {
  private entries: readonly RegisteredSale[] = [];

  constructor(
    private readonly registry: SaleRegistry,
    private readonly settings: SaleSettings,
    private readonly clock: Clock,
  ) {}

  /** Reloads from the registry the sales that are open, upcoming, or ended within the retention period. */
  async refresh(): Promise<void> {
    this.entries = await this.registry.listEndingAfter(new Date(this.clock.now().getTime() - this.settings.retentionMs));
  }

  remember(sale: Sale, items: ItemSet | null): void {
    const others = this.entries.filter((e) => e.sale.id !== sale.id);
    this.entries = [...others, { sale, items }].sort((a, b) => a.sale.startsAt.getTime() - b.sale.startsAt.getTime());
  }

  openAt(at: Date): Sale | null {
    for (const { sale } of this.entries) if (sale.isOpenAt(at)) return sale;
    return null;
  }

  nextAfter(at: Date): Sale | null {
    for (const { sale } of this.entries) if (sale.startsAt.getTime() > at.getTime()) return sale;
    return null;
  }

  /** The sale, not started yet at `at`, that the item belongs to. */
  notStartedSaleWith(itemId: ItemId, at: Date): Sale | null {
    for (const { sale, items } of this.entries) {
      if (sale.startsAt.getTime() > at.getTime() && items?.has(itemId)) return sale;
    }
    return null;
  }

  find(id: SaleId): Sale | null {
    return this.entries.find((e) => e.sale.id === id)?.sale ?? null;
  }

  /** Every sale this instance knows of: the open one, upcoming ones and recently ended ones. */
  all(): readonly Sale[] {
    return this.entries.map((e) => e.sale);
  }
}
