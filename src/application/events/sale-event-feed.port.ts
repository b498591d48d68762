import { LineCloseReason } from '../../domain/line/line-place';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/** What the ledger announces as it happens, to every instance. */
export type LedgerEvent =
  | { readonly kind: 'sold'; readonly unitsSold: number; readonly soldOut: readonly ItemId[] }
  | { readonly kind: 'paused' }
  | { readonly kind: 'resumed' }
  | { readonly kind: 'line_closed'; readonly reason: LineCloseReason }
  /** Not the ledger's: the feed's connection came back, and what was announced meanwhile is lost. Read afresh. */
  | { readonly kind: 'resync' };

/** The ledger's live announcements (Redis sharded pub/sub), seen by every instance. */
export abstract class SaleEventFeed {
  /** Calls `listener` with each event of the sale until the returned function is called. */
  abstract subscribe(saleId: SaleId, listener: (event: LedgerEvent) => void): Promise<() => Promise<void>>;
}
