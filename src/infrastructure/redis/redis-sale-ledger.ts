import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  Answer,
  BuyerTally,
  IdempotencyRequest,
  ItemStock,
  LedgerCheckoutResult,
  LedgerPurchaseResult,
  SaleLedger,
  SaleLiveState,
  SaleStats,
} from '../../application/ports/sale-ledger.port';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { Order } from '../../domain/order/order.entity';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode, PurchaseFailureReason } from '../../domain/sale/sale-rules';
import { Sale } from '../../domain/sale/sale.entity';
import { UserId } from '../../domain/user/user-id.value-object';
import { AppConfig } from '../config/app-config';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { saleEventsChannel, saleKeys } from './sale-keys';

const LOAD_CHUNK = 2_000;
/** How long an Idempotency-Key stays claimed by a request that never finishes (its process died). */
const IDEMPOTENCY_CLAIM_MS = 10_000;

const ids = (csv: string): ItemId[] => (csv === '' ? [] : csv.split(',').map((s) => Number(s) as ItemId));

/** Checkouts of items believed sold out, waiting for the next checkout-sold-out.lua call, for one sale. */
interface SoldOutBatch {
  readonly args: string[];
  readonly waiters: { resolve: (refused: boolean) => void; reject: (e: unknown) => void }[];
}

/** At most this many checkouts per checkout-sold-out.lua call, so one call never holds Redis for long. */
const MAX_SOLD_OUT_PER_CALL = 500;

/** The sale ledger on Redis: each operation is one Lua script (scripts/lua/), atomic on the sale's keys. */
@Injectable()
export class RedisSaleLedger extends SaleLedger {
  private readonly retentionMs: number;
  private readonly idempotencyTtlMs: number;
  private readonly soldOutBatches = new Map<SaleId, SoldOutBatch>();

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.retentionMs = config.SALE_RETENTION_SECONDS * 1000;
    this.idempotencyTtlMs = config.IDEMPOTENCY_KEY_TTL_SECONDS * 1000;
  }

  async checkout(
    saleId: SaleId,
    userId: UserId,
    itemId: ItemId,
    codeIfNew: CheckoutCode,
    idempotency: IdempotencyRequest | null,
  ): Promise<Answer<LedgerCheckoutResult>> {
    const k = saleKeys(saleId);
    const { reply: r, replayed } = await this.idempotently(saleId, idempotency, (idemKey, token) =>
      runScript<string[]>(
        this.redis.command,
        'checkout',
        [k.meta, k.stock, k.bought, k.open, k.checkouts, k.attempts, idemKey, k.stats],
        [userId, itemId, codeIfNew, this.retentionMs, token, this.idempotencyTtlMs],
      ),
    );
    if (r[0] !== 'ok') return { result: { kind: 'rejected', reason: r[0] as CheckoutRejectionCode }, replayed };
    return {
      result: { kind: 'ok', code: r[1] as CheckoutCode, items: ids(r[2]!), expiresAt: new Date(Number(r[3])), added: r[4] === 'added' },
      replayed,
    };
  }

  /**
   * The calls made in one turn of the event loop go to Redis together after the turn's I/O (setImmediate):
   * one checkout-sold-out.lua call per sale serves them all. Each promise settles with that call, so a
   * request is answered only once its refusal is recorded.
   */
  refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let batch = this.soldOutBatches.get(saleId);
      if (!batch) {
        batch = { args: [], waiters: [] };
        this.soldOutBatches.set(saleId, batch);
        setImmediate(() => this.flushSoldOut(saleId));
      }
      batch.args.push(userId, String(itemId));
      batch.waiters.push({ resolve, reject });
    });
  }

  private flushSoldOut(saleId: SaleId): void {
    const batch = this.soldOutBatches.get(saleId);
    this.soldOutBatches.delete(saleId);
    if (!batch) return;
    const k = saleKeys(saleId);
    for (let i = 0; i < batch.waiters.length; i += MAX_SOLD_OUT_PER_CALL) {
      const waiters = batch.waiters.slice(i, i + MAX_SOLD_OUT_PER_CALL);
      const args = batch.args.slice(2 * i, 2 * (i + MAX_SOLD_OUT_PER_CALL));
      // Through a promise even if runScript throws: this runs from setImmediate, where a throw would be fatal.
      Promise.resolve()
        .then(() => runScript<number[]>(this.redis.command, 'checkout-sold-out', [k.meta, k.stock, k.attempts, k.stats], args))
        .then(
          (verdicts) => waiters.forEach((w, j) => w.resolve(verdicts[j] === 1)),
          (e: unknown) => waiters.forEach((w) => w.reject(e)),
        );
    }
  }

  async purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>> {
    const k = saleKeys(saleId);
    const { reply: r, replayed } = await this.idempotently(saleId, idempotency, (idemKey, token) =>
      runScript<string[]>(
        this.redis.command,
        'purchase',
        [k.meta, k.stock, k.bought, k.open, k.checkouts, k.outbox, idemKey, k.stats, saleEventsChannel(saleId, this.redis.db)],
        [code, orderIdIfBought, this.retentionMs, token, this.idempotencyTtlMs, buyer ?? ''],
      ),
    );
    if (r[0] !== 'done') {
      return { result: { kind: 'rejected', reason: r[0] as Extract<LedgerPurchaseResult, { kind: 'rejected' }>['reason'] }, replayed };
    }
    const failed =
      r[3] === ''
        ? []
        : r[3]!.split(',').map((f) => {
            const [id, reason] = f.split(':');
            return { id: Number(id) as ItemId, reason: reason as PurchaseFailureReason };
          });
    return {
      result: { kind: 'done', firstTime: r[5] === 'new', orderId: r[1] === '' ? null : r[1]!, purchased: ids(r[2]!), failed },
      replayed,
    };
  }

  /**
   * Without a key: just the work. With one: claim the key (or get the stored reply, or learn that it is busy
   * or was used for something else), then the work script, which checks the claim and stores its reply.
   */
  private async idempotently(
    saleId: SaleId,
    idempotency: IdempotencyRequest | null,
    work: (idemKey: string, token: string) => Promise<string[]>,
  ): Promise<{ reply: string[]; replayed: boolean }> {
    if (!idempotency) return { reply: await work(saleKeys(saleId).idempotency('-'), ''), replayed: false };
    const idemKey = saleKeys(saleId).idempotency(createHash('sha256').update(idempotency.key).digest('base64url'));
    const token = randomUUID();
    const claim = await runScript<string[]>(
      this.redis.command,
      'idempotency-claim',
      [idemKey],
      [idempotency.fingerprint, token, IDEMPOTENCY_CLAIM_MS],
    );
    switch (claim[0]) {
      case 'claimed':
        return { reply: await work(idemKey, token), replayed: false };
      case 'done':
        return { reply: claim.slice(1), replayed: true };
      case 'mismatch':
        return { reply: ['idempotency_key_reused'], replayed: false };
      default:
        return { reply: ['idempotency_key_in_use'], replayed: false };
    }
  }

  async setPaused(saleId: SaleId, paused: boolean): Promise<boolean> {
    const k = saleKeys(saleId);
    return (
      (await runScript<number>(
        this.redis.command,
        'sale-pause',
        [k.meta, saleEventsChannel(saleId, this.redis.db)],
        [paused ? '1' : '0'],
      )) === 1
    );
  }

  async stats(saleId: SaleId): Promise<SaleStats> {
    const raw = await this.redis.command.hgetall(saleKeys(saleId).stats);
    const checkouts: Record<string, number> = {};
    const purchaseFailures: Record<string, number> = {};
    for (const [field, value] of Object.entries(raw)) {
      if (field.startsWith('c:')) checkouts[field.slice(2)] = Number(value);
      else if (field.startsWith('p:') && field !== 'p:purchased') purchaseFailures[field.slice(2)] = Number(value);
    }
    return { checkouts, purchaseFailures, purchasesAcknowledged: Number(raw.orders ?? 0), unitsPurchased: Number(raw['p:purchased'] ?? 0) };
  }

  async unitsBoughtBy(saleId: SaleId, userId: UserId): Promise<number> {
    return Number((await this.redis.command.hget(saleKeys(saleId).bought, userId)) ?? 0);
  }

  async liveState(saleId: SaleId): Promise<SaleLiveState | null> {
    const [startsAt, sold, paused] = await this.redis.command.hmget(saleKeys(saleId).meta, 'startsAt', 'sold', 'paused');
    if (startsAt === null) return null;
    return { sold: Number(sold ?? 0), paused: paused === '1' };
  }

  async unitsLeft(saleId: SaleId, itemIds: readonly ItemId[]): Promise<(number | null)[]> {
    if (itemIds.length === 0) return [];
    const left = await this.redis.command.hmget(saleKeys(saleId).stock, ...itemIds.map(String));
    return left.map((v) => (v === null ? null : Number(v)));
  }

  async *acknowledgedOrders(saleId: SaleId): AsyncIterable<Order[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.background.hscan(saleKeys(saleId).checkouts, cursor, 'COUNT', 1000);
      cursor = next;
      const orders: Order[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        // Spent checkout records (scripts/lua/purchase.lua): r.o is the order id, r.l its "item:unit" lines.
        const record = JSON.parse(flat[i + 1]!) as { u: string; s: string; r?: { o: string; l?: string; t: number } };
        if (record.s !== 'spent' || !record.r?.o || !record.r.l) continue;
        orders.push({
          id: record.r.o,
          saleId,
          userId: record.u,
          checkoutCode: flat[i]!,
          lines: record.r.l.split(',').map((l) => {
            const [item, unit] = l.split(':');
            return { itemId: Number(item) as ItemId, unit: Number(unit) };
          }),
          purchasedAt: new Date(Number(record.r.t)),
        });
      }
      if (orders.length > 0) yield orders;
    } while (cursor !== '0');
  }

  async isLoaded(saleId: SaleId): Promise<boolean> {
    return (await this.redis.background.exists(saleKeys(saleId).meta)) === 1;
  }

  async load(sale: Sale, items: readonly ItemStock[], buyers: readonly BuyerTally[], alreadySold: number): Promise<boolean> {
    const k = saleKeys(sale.id);
    const redis = this.redis.background;
    // One pipelined round trip for all chunks, not one per item.
    const pipeline = redis.pipeline();
    for (let i = 0; i < items.length; i += LOAD_CHUNK) {
      const args = items.slice(i, i + LOAD_CHUNK).flatMap((it) => [it.id, it.unitsLeft]);
      runScript(pipeline, 'sale-load-fields', [k.stock], args);
    }
    // Limits keep counting what buyers bought before a rebuild (fields as in scripts/lua/purchase.lua).
    for (let i = 0; i < buyers.length; i += LOAD_CHUNK) {
      const args = buyers.slice(i, i + LOAD_CHUNK).flatMap((b) => [b.userId, b.units, `#${b.userId}`, b.purchases]);
      runScript(pipeline, 'sale-load-fields', [k.bought], args);
    }
    runScript(
      pipeline,
      'sale-activate',
      [k.meta, k.stock],
      [
        sale.startsAt.getTime(),
        sale.endsAt.getTime(),
        sale.terms.itemsTotal,
        sale.terms.saleCap,
        sale.terms.perUserLimit,
        alreadySold,
        this.retentionMs,
        sale.terms.onePurchasePerUser ? '1' : '0',
      ],
    );
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    return results[results.length - 1]?.[1] === 1;
  }
}
