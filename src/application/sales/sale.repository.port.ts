import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleTerms } from '../../domain/sale/sale-terms.value-object';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { BuyerTally, ItemStock } from './sale-ledger-loader.port';

export interface ItemView {
  readonly id: ItemId;
  readonly name: string;
  readonly stock: number;
  readonly sold: boolean;
}

export type CreateSaleResult =
  | { readonly kind: 'created'; readonly sale: Sale }
  | { readonly kind: 'exists'; readonly sale: Sale }
  /** Another sale overlaps the window (sales never overlap: the database refuses it). */
  | { readonly kind: 'overlaps'; readonly other: Sale };

/** Sales and their items in PostgreSQL, the system of record. */
export abstract class SaleRepository {
  /**
   * Creates the sale with its items in one transaction, or finds the one that already starts at the same
   * instant. Safe when several instances race: exactly one sale per window is created.
   */
  abstract createWithItems(window: SaleWindow, terms: SaleTerms, itemNames: readonly string[]): Promise<CreateSaleResult>;
  abstract findById(id: SaleId): Promise<Sale | null>;
  /** The most recent sales, latest start first. */
  abstract listRecent(limit: number): Promise<Sale[]>;
  /** Sales that have not ended at `at` (the open one and those to come), earliest start first, at most `limit`. */
  abstract listNotEndedAt(at: Date, limit: number): Promise<Sale[]>;
  abstract listItems(saleId: SaleId, afterId: ItemId | null, limit: number): Promise<ItemView[]>;
  /** Items with at least one unit sold according to written orders: units sold and units on sale. */
  abstract soldPerItem(saleId: SaleId): Promise<Map<ItemId, { sold: number; stock: number }>>;
  abstract itemIds(saleId: SaleId): Promise<ItemId[]>;
  /** Units sold according to written orders. */
  abstract soldUnits(saleId: SaleId): Promise<number>;
  /**
   * The sale's state according to written orders, to load it into the ledger: every item with the units not
   * yet sold, what each buyer bought, the total sold, and whether an operator paused it.
   */
  abstract stockForLoad(saleId: SaleId): Promise<{ items: ItemStock[]; buyers: BuyerTally[]; sold: number; paused: boolean }>;
  /** Records a pause or a resume, for a sale loaded again later (the live flag is the ledger's). */
  abstract setPaused(saleId: SaleId, paused: boolean): Promise<void>;
  /** Which of these sales are recorded as paused. */
  abstract pausedAmong(saleIds: readonly SaleId[]): Promise<Set<SaleId>>;
}
