import { ItemSet } from '../../domain/sale/item-set.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

export interface RegisteredSale {
  readonly sale: Sale;
  readonly items: ItemSet | null;
}

/** An ended sale kept past its retention: what it still holds on its way to PostgreSQL. */
export interface HeldPastRetention {
  readonly saleId: SaleId;
  readonly attempts: number;
  readonly orders: number;
}

/** The shared list of sales that are loaded into the ledger, so every instance sees the same schedule. */
export abstract class SaleRegistry {
  /** Makes a loaded sale, and which items it holds, known to every instance. */
  abstract register(sale: Sale, items: ItemSet): Promise<void>;
  /** Sales ending after `since`, by start time, with their items (null for entries written without). */
  abstract listEndingAfter(since: Date): Promise<RegisteredSale[]>;
  /**
   * Forgets the sales that ended before `before`, and drops what they left in the ledger without an expiry.
   * A sale whose outbox or attempts still hold entries keeps them, and its registry entry (asked again on the
   * next run). Returns those kept, with what each still holds.
   */
  abstract forgetEndedBefore(before: Date): Promise<HeldPastRetention[]>;
}
