import {
  AttemptBatch,
  CheckoutAttemptEntry,
  CheckoutAttemptLog,
  CheckoutAttemptRepository,
} from '../../../src/application/analytics/checkout-attempt-log.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../src/domain/user/user-id.value-object';

/** One attempt as logged here (each in an entry of its own), and as the repository double unfolds them. */
export interface LoggedAttempt {
  readonly source: string;
  readonly entryId: string;
  readonly saleId: SaleId | null;
  readonly userId: string;
  readonly itemId: ItemId | null;
  readonly result: string;
  readonly attemptedAt: Date;
}

/** The log of attempts answered before any sale was asked. */
export const ATTEMPTS_WITHOUT_SALE = 'attempts:no-sale';
/** The log the checkout step of a sale writes to. */
export const attemptsOfSale = (saleId: SaleId): string => `attempts:sale:${saleId}`;

/**
 * Checkout attempts as they happen (Redis streams in production): one log per sale, written by the
 * checkout step, and one for attempts that never reached a sale. A batch read is the head of its log, and
 * acknowledging it drops it and everything before it.
 */
export class InMemoryCheckoutAttemptLog implements CheckoutAttemptLog {
  private readonly logs = new Map<string, LoggedAttempt[]>();
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  async logWithoutSale(userId: UserId, itemId: ItemId, result: string, saleId?: SaleId): Promise<void> {
    this.append(ATTEMPTS_WITHOUT_SALE, userId, itemId, result, saleId ?? null);
  }

  /** What the checkout step of a sale does with every attempt it answers. */
  logForSale(saleId: SaleId, userId: string, itemId: ItemId, result: string): void {
    this.append(attemptsOfSale(saleId), userId, itemId, result, saleId);
  }

  async read(source: string, max: number): Promise<AttemptBatch> {
    const taken = this.of(source).slice(0, max);
    const perSale = source !== ATTEMPTS_WITHOUT_SALE;
    const entries = taken.map((a): CheckoutAttemptEntry => ({
      source,
      entryId: a.entryId,
      batched: false,
      saleId: perSale ? a.saleId : null,
      attemptedAt: a.attemptedAt,
      userIds: [a.userId],
      itemIds: [a.itemId === null ? '' : String(a.itemId)],
      results: [a.result],
      saleIds: perSale ? null : [a.saleId === null ? '' : String(a.saleId)],
    }));
    return { source, entries, attempts: taken.length, end: taken.at(-1)?.entryId ?? null };
  }

  async acknowledge(batch: AttemptBatch): Promise<void> {
    if (batch.end === null) return;
    const lastSeq = Number(batch.end.split('-')[1]);
    this.logs.set(
      batch.source,
      this.of(batch.source).filter((a) => Number(a.entryId.split('-')[1]) > lastSeq),
    );
  }

  withoutSaleSource(): string {
    return ATTEMPTS_WITHOUT_SALE;
  }

  sourceOf(saleId: SaleId): string {
    return attemptsOfSale(saleId);
  }

  /** The attempts still waiting in a log, oldest first. */
  waiting(source: string): LoggedAttempt[] {
    return [...this.of(source)];
  }

  private append(source: string, userId: string, itemId: ItemId, result: string, saleId: SaleId | null): void {
    const at = this.clock.now();
    const entryId = `${at.getTime()}-${++this.seq}`;
    this.of(source).push({ source, entryId, saleId, userId, itemId, result, attemptedAt: at });
  }

  private of(source: string): LoggedAttempt[] {
    let list = this.logs.get(source);
    if (!list) {
      list = [];
      this.logs.set(source, list);
    }
    return list;
  }
}

/** Attempts kept for analytics (PostgreSQL in production): idempotent per (source, entryId). */
export class InMemoryCheckoutAttemptRepository implements CheckoutAttemptRepository {
  /** The attempts written, one per attempt of each entry. */
  readonly saved: LoggedAttempt[] = [];
  private readonly keys = new Set<string>();
  private down: Error | null = null;

  async saveBatch(entries: readonly CheckoutAttemptEntry[]): Promise<number> {
    if (this.down) throw this.down;
    let written = 0;
    for (const e of entries) {
      const key = `${e.source}\n${e.entryId}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.saved.push(...unfold([e]));
      written++;
    }
    return written;
  }

  goDown(error = new Error('database unreachable')): void {
    this.down = error;
  }

  comeBack(): void {
    this.down = null;
  }
}

/** Entries as rows of one attempt each, keyed as the view checkout_attempts keys them ("<entryId>.<k>" when batched). */
export function unfold(entries: readonly CheckoutAttemptEntry[]): LoggedAttempt[] {
  return entries.flatMap((e) =>
    e.results.map((result, k): LoggedAttempt => {
      const sale = e.saleIds ? e.saleIds[k] : e.saleId === null ? '' : String(e.saleId);
      const item = e.itemIds[k] ?? '';
      return {
        source: e.source,
        entryId: e.batched ? `${e.entryId}.${k}` : e.entryId,
        saleId: asId(sale) as SaleId | null,
        userId: e.userIds[k] ?? '',
        itemId: asId(item) as ItemId | null,
        result,
        attemptedAt: e.attemptedAt,
      };
    }),
  );
}

/** As the view reads an id: a whole number that fits an int, else null. */
function asId(value: string | undefined): number | null {
  return value && /^\d{1,10}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null;
}
