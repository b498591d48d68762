import { SaleSettings } from '../../../src/application/sales/sale-settings';
import { ItemStock } from '../../../src/application/sales/sale-ledger-loader.port';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { SaleTerms } from '../../../src/domain/sale/sale-terms.value-object';
import { SaleWindow } from '../../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../../src/domain/sale/sale.entity';

/** The instant unit tests start at (the FixedClock's default). */
export const NOW = new Date('2030-06-01T12:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface SaleSpec {
  readonly id?: number;
  /** When it opens, from `now`: negative for a sale already open. Default: opened a minute ago. */
  readonly opensInMs?: number;
  /** Default one hour. */
  readonly durationMs?: number;
  /** How many distinct items. Default 10. */
  readonly items?: number;
  /** Default 10. */
  readonly perUserLimit?: number;
  /** Default every unit of every item. */
  readonly saleCap?: number;
  /** Default 1. */
  readonly unitsPerItem?: number;
  /** Default false. */
  readonly onePurchasePerUser?: boolean;
  /** Default NOW. */
  readonly now?: Date;
}

let lastId = 0;

/** A valid sale, open by default; say only what the test is about. */
export function aSale(spec: SaleSpec = {}): Sale {
  const now = (spec.now ?? NOW).getTime();
  const startsAt = now + (spec.opensInMs ?? -MINUTE);
  const items = spec.items ?? 10;
  const unitsPerItem = spec.unitsPerItem ?? 1;
  return Sale.restore(
    (spec.id ?? ++lastId) as SaleId,
    SaleWindow.of(new Date(startsAt), new Date(startsAt + (spec.durationMs ?? HOUR))),
    aSaleTerms({
      itemsTotal: items,
      unitsPerItem,
      saleCap: spec.saleCap ?? items * unitsPerItem,
      perUserLimit: spec.perUserLimit ?? 10,
      onePurchasePerUser: spec.onePurchasePerUser ?? false,
    }),
  );
}

export const anOpenSale = (spec: Omit<SaleSpec, 'opensInMs'> = {}): Sale => aSale({ ...spec, opensInMs: -MINUTE });
export const aSaleOpeningIn = (ms: number, spec: Omit<SaleSpec, 'opensInMs'> = {}): Sale => aSale({ ...spec, opensInMs: ms });
export const aSaleThatEnded = (agoMs: number, spec: Omit<SaleSpec, 'opensInMs'> = {}): Sale =>
  aSale({ ...spec, opensInMs: -agoMs - (spec.durationMs ?? HOUR) });

export function aSaleTerms(terms: Partial<SaleTerms> = {}): SaleTerms {
  return { itemsTotal: 10, saleCap: 10, perUserLimit: 10, unitsPerItem: 1, onePurchasePerUser: false, ...terms };
}

/** Hourly sales of `terms`, kept a day after they end. */
export function aSaleSettings(settings: { periodMs?: number; terms?: Partial<SaleTerms>; retentionMs?: number } = {}): SaleSettings {
  return new SaleSettings(settings.periodMs ?? HOUR, aSaleTerms(settings.terms), settings.retentionMs ?? 24 * HOUR);
}

/*
 * Item ids of a mother's sale: consecutive from <sale id>0001, so the items of two sales never collide
 * and a test can name "the third item of the sale".
 */
export const firstItemIdOf = (sale: Sale): number => sale.id * 10_000 + 1;

/** The n-th item of the sale (from 1). */
export function itemOf(sale: Sale, n: number): ItemId {
  if (n < 1 || n > sale.terms.itemsTotal) throw new Error(`sale ${sale.id} has no item #${n}`);
  return (firstItemIdOf(sale) + n - 1) as ItemId;
}

export function itemsOf(sale: Sale): ItemId[] {
  return Array.from({ length: sale.terms.itemsTotal }, (_, i) => itemOf(sale, i + 1));
}

/** An id that is in no mother's sale. */
export const NOT_AN_ITEM = 999 as ItemId;

/** The sale's items with every unit still for sale, as loading a fresh sale sees them. */
export function stockOf(sale: Sale): ItemStock[] {
  return itemsOf(sale).map((id) => ({ id, unitsLeft: sale.terms.unitsPerItem }));
}
