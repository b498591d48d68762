import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';

export interface CheckoutAttempt {
  /** Where the attempt was logged and its id there: (source, entryId) is unique. */
  readonly source: string;
  readonly entryId: string;
  readonly saleId: SaleId | null;
  readonly userId: string;
  readonly itemId: ItemId | null;
  /** "accepted" or a rejection code. */
  readonly result: string;
  readonly attemptedAt: Date;
}

export interface AttemptBatch {
  readonly source: string;
  readonly attempts: CheckoutAttempt[];
  /** Where in the log the batch ends (what acknowledge() drops up to); null for an empty batch. */
  readonly end: string | null;
}

/**
 * Checkout attempts as they happen (Redis streams). The checkout script logs the attempts it sees; this
 * port logs those that never reach a sale, and hands all of them to the analytics writer.
 */
export abstract class CheckoutAttemptLog {
  /** Logs an attempt answered before the ledger (no open sale, or a sale that has not started). */
  abstract logWithoutSale(userId: UserId, itemId: ItemId, result: string, saleId?: SaleId): Promise<void>;
  /**
   * The oldest attempts of a source, in the order they were logged: `max` of them if there are as many,
   * except that attempts logged together (one batched write) come together, so the last such write taken
   * may carry the batch past `max`.
   */
  abstract read(source: string, max: number): Promise<AttemptBatch>;
  /** Drops a batch that read() returned, once it is written; later attempts stay. */
  abstract acknowledge(batch: AttemptBatch): Promise<void>;
  /** Sources to drain: one per loaded sale plus the no-sale log. */
  abstract sourcesFor(saleIds: readonly SaleId[]): string[];
}

/** Checkout attempts kept for analytics in PostgreSQL. */
export abstract class CheckoutAttemptRepository {
  /** Idempotent: attempts already written are skipped. */
  abstract saveBatch(attempts: readonly CheckoutAttempt[]): Promise<number>;
}
