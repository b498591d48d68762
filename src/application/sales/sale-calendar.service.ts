import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { ItemSet } from '../../domain/sale/item-set.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Clock } from '../shared/clock.port';
import { RegisteredSale, SaleRegistry } from './sale-registry.port';
import { SaleSettings } from './sale-settings';

/**
 * How far this instance's clock may be from Redis's without the hot path refusing wrongly: within this of a
 * sale's start or end, a checkout goes to the scripts, which decide on Redis's clock, instead of being
 * answered here by this instance's clock. Hosts kept by NTP are within milliseconds of each other.
 */
export const CLOCK_MARGIN_MS = 1_000;

/** A sale as the registry lists it, and for one this instance was told of, how many refreshes had started then. */
interface Entry extends RegisteredSale {
  readonly rememberedAt?: number;
}

/**
 * This instance's in-memory copy of the shared sale registry, so the hot path finds the open sale (and
 * which sale an item belongs to) without a round trip. It is refreshed every second or so
 * (interfaces/background) and updated at once when this instance loads a sale. Being a little stale is
 * safe where the scripts decide (they check the sale's window on Redis's clock); what is answered here
 * without them is answered only well away from a sale's start and end (CLOCK_MARGIN_MS).
 */
@Injectable()
export class SaleCalendar {
  private entries: readonly Entry[] = [];
  /** Refreshes started so far. */
  private refreshesStarted = 0;

  constructor(
    private readonly registry: SaleRegistry,
    private readonly settings: SaleSettings,
    private readonly clock: Clock,
  ) {}

  /** Reloads from the registry the sales that are open, upcoming, or ended within the retention period. */
  async refresh(): Promise<void> {
    const started = ++this.refreshesStarted;
    const listed = await this.registry.listEndingAfter(new Date(this.clock.now().getTime() - this.settings.retentionMs));
    // A sale remembered while the registry was being read may be missing from what it answered, or be there as
    // it was before: keep what this instance was told, or it would answer no_active_sale for a sale it has just
    // loaded until the next refresh (a slow read made that window wide enough for a test to fall into it).
    // Kept on the entry, not in a map of its own, so that it goes when the entry does.
    const newer = this.entries.filter((e) => (e.rememberedAt ?? -1) >= started);
    this.entries = byStart([...listed.filter((l) => !newer.some((e) => e.sale.id === l.sale.id)), ...newer]);
  }

  remember(sale: Sale, items: ItemSet | null): void {
    const entry: Entry = { sale, items, rememberedAt: this.refreshesStarted };
    this.entries = byStart([...this.entries.filter((e) => e.sale.id !== sale.id), entry]);
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

  /**
   * Where a checkout of the item at `at` goes: what this instance may answer alone (the item's sale starts
   * more than CLOCK_MARGIN_MS later: not started on Redis's clock either), else the sale whose scripts decide:
   * the item's own within CLOCK_MARGIN_MS of its window (the two clocks may differ a little), else the sale
   * open by this instance's clock (null: none).
   */
  checkoutRoute(itemId: ItemId, at: Date): { notStarted: Sale } | { sale: Sale | null } {
    const near = this.saleWithItemNear(itemId, at, CLOCK_MARGIN_MS);
    if (near) return { sale: near };
    const notStarted = this.notStartedSaleWith(itemId, at);
    return notStarted ? { notStarted } : { sale: this.openAt(at) };
  }

  /**
   * The sale the item belongs to if `at` is within `marginMs` of its window (open, about to open, or just
   * ended): one for the scripts to decide on Redis's clock.
   */
  saleWithItemNear(itemId: ItemId, at: Date, marginMs: number): Sale | null {
    const t = at.getTime();
    for (const { sale, items } of this.entries) {
      if (sale.startsAt.getTime() - marginMs <= t && t < sale.endsAt.getTime() + marginMs && items?.has(itemId)) return sale;
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

function byStart(entries: Entry[]): Entry[] {
  return entries.sort((a, b) => a.sale.startsAt.getTime() - b.sale.startsAt.getTime());
}
