import { ItemId } from '../../domain/sale/item-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

/** What a buyer already bought in a sale, for rebuilding the ledger from PostgreSQL. */
export interface BuyerTally {
  readonly userId: string;
  readonly units: number;
  readonly purchases: number;
}

export interface ItemStock {
  readonly id: ItemId;
  readonly unitsLeft: number;
}

/** Puts a sale into the ledger (Redis), where checkout and purchase find it. */
export abstract class SaleLedgerLoader {
  /**
   * Loads a sale and its items, idempotently: items already present are left alone, and the sale is
   * published only once (paused if `paused`, in the same step). Returns false when it was already loaded.
   */
  abstract load(
    sale: Sale,
    items: readonly ItemStock[],
    buyers: readonly BuyerTally[],
    alreadySold: number,
    paused?: boolean,
  ): Promise<boolean>;
}
