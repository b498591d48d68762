import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';

export interface SaleLiveState {
  readonly sold: number;
  readonly paused: boolean;
  /** Pauses and resumes made so far (see SalePauseSwitch.pauseUnlessSwitched); absent where not read. */
  readonly switches?: number;
}

/** Counters the ledger keeps per sale, for operators. */
export interface SaleStats {
  /** Checkout attempts by result ("accepted" or the refusal code). */
  readonly checkouts: Record<string, number>;
  /** Items that could not be bought at purchase, by reason. */
  readonly purchaseFailures: Record<string, number>;
  /** Purchases that bought at least one item (each becomes one order). */
  readonly purchasesAcknowledged: number;
  readonly unitsPurchased: number;
}

/** Reads of a sale's live state in the ledger (Redis), for pages, operators and checks. Never writes. */
export abstract class SaleReadModel {
  abstract isLoaded(saleId: SaleId): Promise<boolean>;
  /**
   * Null when the sale is not loaded. With `maxAgeMs`, a state read at most that long ago may answer (public
   * pages); what this instance changed itself is always seen.
   */
  abstract liveState(saleId: SaleId, maxAgeMs?: number): Promise<SaleLiveState | null>;
  abstract stats(saleId: SaleId): Promise<SaleStats>;
  abstract unitsBoughtBy(saleId: SaleId, userId: UserId): Promise<number>;
  /**
   * Units left per item, null for items the ledger does not hold; `maxAgeMs` as for liveState. With a
   * `maxAgeMs`, callers within it get the same array: shared, never to be changed.
   */
  abstract unitsLeft(saleId: SaleId, itemIds: readonly ItemId[], maxAgeMs?: number): Promise<readonly (number | null)[]>;
}
