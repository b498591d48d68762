import {
  AttemptBatch,
  CheckoutAttempt,
  CheckoutAttemptLog,
  CheckoutAttemptRepository,
} from '../../../src/application/analytics/checkout-attempt-log.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../src/domain/user/user-id.value-object';

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
  private readonly logs = new Map<string, CheckoutAttempt[]>();
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
    const attempts = this.of(source).slice(0, max);
    return { source, attempts, end: attempts.at(-1)?.entryId ?? null };
  }

  async acknowledge(batch: AttemptBatch): Promise<void> {
    if (batch.end === null) return;
    const lastSeq = Number(batch.end.split('-')[1]);
    this.logs.set(
      batch.source,
      this.of(batch.source).filter((a) => Number(a.entryId.split('-')[1]) > lastSeq),
    );
  }

  sourcesFor(saleIds: readonly SaleId[]): string[] {
    return [ATTEMPTS_WITHOUT_SALE, ...saleIds.map(attemptsOfSale)];
  }

  /** The attempts still waiting in a log, oldest first. */
  waiting(source: string): CheckoutAttempt[] {
    return [...this.of(source)];
  }

  private append(source: string, userId: string, itemId: ItemId, result: string, saleId: SaleId | null): void {
    const at = this.clock.now();
    const entryId = `${at.getTime()}-${++this.seq}`;
    this.of(source).push({ source, entryId, saleId, userId, itemId, result, attemptedAt: at });
  }

  private of(source: string): CheckoutAttempt[] {
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
  readonly saved: CheckoutAttempt[] = [];
  private readonly keys = new Set<string>();
  private down: Error | null = null;

  async saveBatch(attempts: readonly CheckoutAttempt[]): Promise<number> {
    if (this.down) throw this.down;
    let written = 0;
    for (const a of attempts) {
      const key = `${a.source}\n${a.entryId}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.saved.push(a);
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
