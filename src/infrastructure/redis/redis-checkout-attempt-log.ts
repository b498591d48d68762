import { Injectable } from '@nestjs/common';
import { AttemptBatch, CheckoutAttempt, CheckoutAttemptLog } from '../../application/ports/checkout-attempt-log.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { UserId } from '../../domain/user/user-id.value-object';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { ATTEMPTS_WITHOUT_SALE_KEY, saleKeys } from './sale-keys';
import { streamFields, streamIdAfter } from './stream-fields';

/** Attempts waiting for the next flush, for one sale. */
interface PendingAttempts {
  readonly args: string[];
  readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/** At most this many attempts per attempts-log.lua call, so one call never holds Redis for long. */
const MAX_ATTEMPTS_PER_CALL = 500;

/** Checkout attempts in Redis streams: one per sale (written by checkout.lua) and one for "no sale open". */
@Injectable()
export class RedisCheckoutAttemptLog extends CheckoutAttemptLog {
  private readonly pending = new Map<SaleId, PendingAttempts>();

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  /**
   * Attempts logged in one turn of the event loop go to Redis together, in one attempts-log.lua call per
   * sale after the turn's I/O (setImmediate): under load, one round trip serves many requests. Each promise
   * settles with its call, so a request is answered only once its attempt is stored.
   */
  logAnsweredLocally(saleId: SaleId, userId: UserId, itemId: ItemId, result: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch = this.pending.get(saleId);
      if (!batch) {
        batch = { args: [], waiters: [] };
        this.pending.set(saleId, batch);
        setImmediate(() => this.flush(saleId));
      }
      batch.args.push(userId, String(itemId), result);
      batch.waiters.push({ resolve, reject });
    });
  }

  private flush(saleId: SaleId): void {
    const batch = this.pending.get(saleId);
    this.pending.delete(saleId);
    if (!batch) return;
    const k = saleKeys(saleId);
    for (let i = 0; i < batch.waiters.length; i += MAX_ATTEMPTS_PER_CALL) {
      const waiters = batch.waiters.slice(i, i + MAX_ATTEMPTS_PER_CALL);
      const args = batch.args.slice(3 * i, 3 * (i + MAX_ATTEMPTS_PER_CALL));
      // Through a promise even if runScript throws: this runs from setImmediate, where a throw would be fatal.
      Promise.resolve()
        .then(() => runScript<number>(this.redis.command, 'attempts-log', [k.attempts, k.stats], args))
        .then(
          () => waiters.forEach((w) => w.resolve()),
          (e: unknown) => waiters.forEach((w) => w.reject(e)),
        );
    }
  }

  async logWithoutSale(userId: UserId, itemId: ItemId, result: string, saleId?: SaleId): Promise<void> {
    const fields = ['u', userId, 'i', String(itemId), 'r', result, 't', String(Date.now()), ...(saleId ? ['s', String(saleId)] : [])];
    await this.redis.command.xadd(ATTEMPTS_WITHOUT_SALE_KEY, '*', ...fields);
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
