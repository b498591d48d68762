import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';

/**
 * One entry of an attempts log: one attempt, or several logged in one write (a batched script call). Kept as
 * logged, one value per attempt in each list, so the writer stores an entry as one row whatever it holds:
 * at sell-out most attempts come 64 or more to an entry, and a row per attempt cost PostgreSQL a sixth of a
 * core and the app's requests their p99 (see PrismaCheckoutAttemptRepository).
 */
export interface CheckoutAttemptEntry {
  /** Where the entry was logged and its id there: (source, entryId) is unique. */
  readonly source: string;
  readonly entryId: string;
  /** Several attempts in one write: each is known as "<entryId>.<k>" (k from 0), not as the entry id. */
  readonly batched: boolean;
  /** The sale whose log this is; null in the log of attempts made without one (see saleIds). */
  readonly saleId: SaleId | null;
  readonly attemptedAt: Date;
  /** One value per attempt, in order: the buyer, the item as asked for, and "accepted" or a rejection code. */
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly results: readonly string[];
  /** In the no-sale log only: the sale each attempt named ("" for none). */
  readonly saleIds: readonly string[] | null;
}

export interface AttemptBatch {
  readonly source: string;
  readonly entries: readonly CheckoutAttemptEntry[];
  /** How many attempts the entries hold. */
  readonly attempts: number;
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
   * The oldest entries of a source, in the order they were logged, until they hold `max` attempts or the log
   * ends: an entry is never split, so the last one taken may carry the batch past `max`.
   */
  abstract read(source: string, max: number): Promise<AttemptBatch>;
  /** Drops a batch that read() returned, once it is written; later attempts stay. */
  abstract acknowledge(batch: AttemptBatch): Promise<void>;
  /** The source of the attempts refused before any sale script ran (logWithoutSale). */
  abstract withoutSaleSource(): string;
  /** The source a sale's scripts log its attempts to. */
  abstract sourceOf(saleId: SaleId): string;
}

/** Checkout attempts kept for analytics in PostgreSQL. */
export abstract class CheckoutAttemptRepository {
  /** Idempotent: entries already written are skipped. Returns how many entries were written. */
  abstract saveBatch(entries: readonly CheckoutAttemptEntry[]): Promise<number>;
}
