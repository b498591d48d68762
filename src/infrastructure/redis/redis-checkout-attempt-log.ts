import { Injectable } from '@nestjs/common';
import { AttemptBatch, CheckoutAttempt, CheckoutAttemptLog } from '../../application/analytics/checkout-attempt-log.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { ATTEMPTS_WITHOUT_SALE_KEY, saleKeys } from './sale-keys';
import { streamFields, streamIdAfter } from './stream-fields';

/** Attempts waiting for the next write (four arguments each: see attempts-append.lua), with the requests waiting on it. */
interface PendingAttempts {
  readonly args: string[];
  readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/** Checkout attempts in Redis streams: one per sale (written by checkout.lua) and one for "no sale open". */
@Injectable()
export class RedisCheckoutAttemptLog extends CheckoutAttemptLog {
  private pending: PendingAttempts | null = null;

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  /**
   * The attempts logged in one turn of the event loop go to Redis together after the turn's I/O
   * (setImmediate), in one call of attempts-append.lua; each promise settles with that write, so a request is
   * answered only once its attempt is logged.
   */
  logWithoutSale(userId: UserId, itemId: ItemId, result: string, saleId?: SaleId): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.pending) {
        this.pending = { args: [], waiters: [] };
        setImmediate(() => this.flush());
      }
      this.pending.args.push(userId, String(itemId), result, saleId ? String(saleId) : '');
      this.pending.waiters.push({ resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = null;
    if (!batch) return;
    // Through a promise even if the call throws: this runs from setImmediate.
    Promise.resolve()
      .then(() => this.redis.bounded(runScript<number>(this.redis.command, 'attempts-append', [ATTEMPTS_WITHOUT_SALE_KEY], batch.args)))
      .then(
        () => batch.waiters.forEach((w) => w.resolve()),
        (e: unknown) => batch.waiters.forEach((w) => w.reject(e)),
      );
  }

  sourcesFor(saleIds: readonly SaleId[]): string[] {
    return [ATTEMPTS_WITHOUT_SALE_KEY, ...saleIds.map((id) => saleKeys(id).attempts)];
  }

  async read(source: string, max: number): Promise<AttemptBatch> {
    const saleId = /^\{sale:(\d+)\}/.exec(source)?.[1];
    const entries = await this.redis.background.xrange(source, '-', '+', 'COUNT', max);
    const attempts: CheckoutAttempt[] = entries.map(([entryId, flat]) => {
      const f = streamFields(flat);
      return {
        source,
        entryId,
        saleId: saleId ? (Number(saleId) as SaleId) : f.s ? (Number(f.s) as SaleId) : null,
        userId: f.u ?? '',
        itemId: f.i && /^\d{1,10}$/.test(f.i) && Number(f.i) <= 2_147_483_647 ? (Number(f.i) as ItemId) : null,
        result: f.r ?? 'unknown',
        attemptedAt: new Date(Number(f.t ?? entryId.split('-')[0])),
      };
    });
    return { source, attempts };
  }

  /** A batch is the head of its stream (read from "-"): trimmed past its last entry (XDEL of 2,000 ids cost more). */
  async acknowledge(batch: AttemptBatch): Promise<void> {
    const last = batch.attempts.at(-1)?.entryId;
    if (last !== undefined) await this.redis.background.xtrim(batch.source, 'MINID', streamIdAfter(last));
  }
}
