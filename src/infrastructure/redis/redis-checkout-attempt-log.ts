import { Injectable } from '@nestjs/common';
import { AttemptBatch, CheckoutAttemptEntry, CheckoutAttemptLog } from '../../application/analytics/checkout-attempt-log.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { ATTEMPTS_WITHOUT_SALE_KEY, saleKeys } from './sale-keys';
import { streamFields, streamIdAfter } from './stream-fields';
import { TurnBatches, argsOf } from './turn-batches';

/** At most this many attempts per attempts-append.lua call, so one call never holds Redis for long. */
const MAX_ATTEMPTS_PER_CALL = 500;

/** Checkout attempts in Redis streams: one per sale (written by the checkout scripts) and one for "no sale open". */
@Injectable()
export class RedisCheckoutAttemptLog extends CheckoutAttemptLog {
  /** Attempts answered before any sale script, for the next attempts-append.lua call. */
  private readonly withoutSale = new TurnBatches<string[], void>(MAX_ATTEMPTS_PER_CALL, (key, calls) =>
    this.redis
      .bounded(runScript<number>(this.redis.command, 'attempts-append', [key], argsOf(calls)))
      .then(() => new Array<void>(calls.length)),
  );

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  /**
   * The attempts logged in one turn of the event loop go to Redis together after the turn's I/O
   * (setImmediate), in one call of attempts-append.lua; each promise settles with that write, so a request is
   * answered only once its attempt is logged.
   */
  logWithoutSale(userId: UserId, itemId: ItemId, result: string, saleId?: SaleId): Promise<void> {
    return this.withoutSale.add(ATTEMPTS_WITHOUT_SALE_KEY, [userId, String(itemId), result, saleId ? String(saleId) : '']);
  }

  withoutSaleSource(): string {
    return ATTEMPTS_WITHOUT_SALE_KEY;
  }

  sourceOf(saleId: SaleId): string {
    return saleKeys(saleId).attempts;
  }

  /**
   * An entry is one attempt, or (written by checkout-batch.lua, checkout-sold-out.lua and attempts-append.lua)
   * `n` of them as comma lists. Whole entries only, taken until they hold `max` attempts: the last may go past it, so a batch
   * is never short of `max` while more are waiting (the writer reads "short" as "caught up" and pauses).
   */
  async read(source: string, max: number): Promise<AttemptBatch> {
    const saleId = /^\{sale:(\d+)\}/.exec(source)?.[1];
    const entries = await this.redis.background.xrange(source, '-', '+', 'COUNT', max);
    const taken: CheckoutAttemptEntry[] = [];
    let attempts = 0;
    let end: string | null = null;
    for (const [entryId, flat] of entries) {
      if (attempts >= max) break;
      const f = streamFields(flat);
      const batched = f.n !== undefined;
      end = entryId;
      const entry: CheckoutAttemptEntry = {
        source,
        entryId,
        batched,
        saleId: saleId ? (Number(saleId) as SaleId) : null,
        attemptedAt: new Date(Number(f.t ?? entryId.split('-')[0])),
        userIds: listOf(f.u ?? '', batched),
        itemIds: listOf(f.i ?? '', batched),
        results: listOf(f.r ?? 'unknown', batched),
        saleIds: saleId ? null : listOf(f.s ?? '', batched),
      };
      attempts += entry.results.length;
      taken.push(entry);
    }
    return { source, entries: taken, attempts, end };
  }

  /** A batch is the head of its stream (read from "-"): trimmed past its last entry (XDEL of 2,000 ids cost more). */
  async acknowledge(batch: AttemptBatch): Promise<void> {
    if (batch.end !== null) await this.redis.background.xtrim(batch.source, 'MINID', streamIdAfter(batch.end));
  }
}

/** An entry's field: one value, or a batched entry's comma-separated values (one per attempt). */
function listOf(value: string, batched: boolean): string[] {
  return batched ? value.split(',') : [value];
}
