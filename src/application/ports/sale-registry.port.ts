import { Sale } from '../../domain/sale/sale.entity';

/** The shared list of sales that are loaded into the ledger, so every instance sees the same schedule. */
export abstract class SaleRegistry {
  abstract register(sale: Sale): Promise<void>;
  /** Sales ending after `since`, by start time. */
  abstract listEndingAfter(since: Date): Promise<Sale[]>;
  abstract forgetEndedBefore(before: Date): Promise<void>;
}
