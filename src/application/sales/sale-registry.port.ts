import { ItemSet } from '../../domain/sale/item-set.value-object';
import { Sale } from '../../domain/sale/sale.entity';

export interface RegisteredSale {
  readonly sale: Sale;
  readonly items: ItemSet | null;
}

/** The shared list of sales that are loaded into the ledger, so every instance sees the same schedule. */
export abstract class SaleRegistry {
  /** Makes a loaded sale, and which items it holds, known to every instance. */
  abstract register(sale: Sale, items: ItemSet): Promise<void>;
  /** Sales ending after `since`, by start time, with their items (null for entries written without). */
  abstract listEndingAfter(since: Date): Promise<RegisteredSale[]>;
  abstract forgetEndedBefore(before: Date): Promise<void>;
}
