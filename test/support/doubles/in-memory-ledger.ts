import { CheckoutLedger, LedgerCheckoutResult, SoldOutRefusal } from '../../../src/application/checkout/checkout-ledger.port';
import { AcknowledgedOrders } from '../../../src/application/orders/acknowledged-orders.port';
import { EndedPurchaseRefusal, LedgerPurchaseResult, PurchaseLedger } from '../../../src/application/purchase/purchase-ledger.port';
import { BuyerTally, ItemStock, SaleLedgerLoader } from '../../../src/application/sales/sale-ledger-loader.port';
import { SalePauseSwitch } from '../../../src/application/sales/sale-pause-switch.port';
import { SaleLiveState, SaleReadModel, SaleStats } from '../../../src/application/sales/sale-read-model.port';
import { Clock } from '../../../src/application/shared/clock.port';
import { Answer, IdempotencyRefusal, IdempotencyRequest } from '../../../src/application/shared/idempotency';
import { CheckoutCode } from '../../../src/domain/checkout/checkout-code.value-object';
import { Order, OrderLine } from '../../../src/domain/order/order.entity';
import { ItemId } from '../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../src/domain/sale/sale-id.value-object';
import { CheckoutVerdict, PurchaseFailureReason, checkoutVerdict, purchaseItemVerdict } from '../../../src/domain/sale/sale-rules';
import { Sale } from '../../../src/domain/sale/sale.entity';
import { RejectionCode, TRANSIENT_REJECTIONS, isOneOf } from '../../../src/domain/shared/rejection';
import { UserId } from '../../../src/domain/user/user-id.value-object';
import { InMemoryCheckoutAttemptLog } from './in-memory-checkout-attempt-log';
import { InMemoryPurchaseOutbox } from './in-memory-purchase-outbox';
import { InMemorySaleEventFeed } from './in-memory-sale-event-feed';

/** Where the ledger's side effects go, as the scripts write them in the same atomic step as the work. */
export interface LedgerWiring {
  /** Orders of acknowledged purchases (scripts/lua/purchase.lua appends to the sale's outbox stream). */
  readonly outbox?: InMemoryPurchaseOutbox;
  /** Every checkout attempt the ledger answers (checkout.lua appends to the sale's attempts stream). */
  readonly attempts?: InMemoryCheckoutAttemptLog;
  /** Sold units and pauses (purchase.lua and sale-pause.lua SPUBLISH them). */
  readonly events?: InMemorySaleEventFeed;
  /** Orders per chunk of AcknowledgedOrders.ofSale (the Redis adapter scans 1000 records at a time). */
  readonly acknowledgedChunk?: number;
}

interface SpentResult {
  readonly orderId: string | null;
  readonly purchased: ItemId[];
  readonly failed: { id: ItemId; reason: PurchaseFailureReason }[];
  readonly lines: OrderLine[];
  readonly at: Date;
}

interface CheckoutRecord {
  readonly user: UserId;
  readonly items: ItemId[];
  spent?: SpentResult;
}

interface IdempotencyRecord {
  readonly fingerprint: string;
  /** Undefined while the request that claimed the key is still running. */
  readonly result?: unknown;
}

/** One sale's keys: {sale:<id>}:meta, :stock, :bought, :open, :checkouts, :stats and :idem:*. */
class SaleState {
  meta: { sale: Sale; sold: number; paused: boolean; switches?: number } | null = null;
  readonly stock = new Map<number, number>();
  /** Units bought per user. */
  readonly bought = new Map<string, number>();
  /** Purchases (orders) made per user. */
  readonly purchases = new Map<string, number>();
  /** The code of each user's open checkout. */
  readonly open = new Map<string, CheckoutCode>();
  readonly checkouts = new Map<string, CheckoutRecord>();
  readonly checkoutStats: Record<string, number> = {};
  readonly purchaseFailures: Record<string, number> = {};
  purchasesAcknowledged = 0;
  unitsPurchased = 0;
  readonly idempotency = new Map<string, IdempotencyRecord>();
}

/**
 * The ledger in memory: every port the application has on the live state of sales, kept by the rules of
 * src/domain/sale/sale-rules.ts exactly as the Lua scripts keep it in Redis. Each call is one atomic step,
 * as each script is. test/contract/sale-ledger.contract.e2e-spec.ts drives this double and the real
 * scripts with the same random histories and requires the same answers, so what a unit test learns from
 * this double holds for Redis.
 *
 * `clock` is the ledger's own clock (Redis's TIME for the scripts): give it a clock of its own to model an
 * instance whose clock differs from Redis's.
 */
export class InMemoryLedger
  implements CheckoutLedger, PurchaseLedger, SaleReadModel, SaleLedgerLoader, SalePauseSwitch, AcknowledgedOrders
{
  private readonly sales = new Map<SaleId, SaleState>();
  /** How often each entry point was called: lets a test see that a use case did not ask the ledger. */
  readonly calls = { checkout: 0, refuseSoldOut: 0, purchase: 0, refuseEnded: 0, load: 0, setPaused: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly wiring: LedgerWiring = {},
  ) {}

  // ---- CheckoutLedger (scripts/lua/checkout.lua, checkout-sold-out.lua) ----

  async checkout(
    saleId: SaleId,
    userId: UserId,
    itemId: ItemId,
    codeIfNew: CheckoutCode,
    idempotency: IdempotencyRequest | null,
  ): Promise<Answer<LedgerCheckoutResult>> {
    this.calls.checkout++;
    return this.idempotently<LedgerCheckoutResult>(
      saleId,
      idempotency,
      () => this.runCheckout(saleId, userId, itemId, codeIfNew),
      (reason) => ({ kind: 'rejected', reason }),
    );
  }

  async refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<SoldOutRefusal | null> {
    this.calls.refuseSoldOut++;
    const s = this.state(saleId);
    const verdict = this.verdictOf(s, userId, itemId);
    if (verdict !== RejectionCode.ItemSoldOut && verdict !== RejectionCode.SaleSoldOut) return null;
    this.record(saleId, s, userId, itemId, verdict);
    return verdict;
  }

  private verdictOf(s: SaleState, user: UserId, item: ItemId): CheckoutVerdict {
    const meta = s.meta;
    const code = s.open.get(user);
    const current: CheckoutRecord = code ? s.checkouts.get(code)! : { user, items: [] };
    return checkoutVerdict({
      // A sale that is not loaded has nothing to sell: the script answers as after its end.
      phase: meta ? meta.sale.window.phaseAt(this.clock.now()) : 'ended',
      paused: meta?.paused ?? false,
      unitsLeft: s.stock.has(item) ? s.stock.get(item)! : null,
      saleSold: meta?.sold ?? 0,
      saleCap: meta?.sale.terms.saleCap ?? 0,
      alreadyInCheckout: current.items.includes(item),
      userBought: s.bought.get(user) ?? 0,
      itemsInCheckout: current.items.length,
      perUserLimit: meta?.sale.terms.perUserLimit ?? 0,
      onePurchasePerUser: meta?.sale.terms.onePurchasePerUser ?? false,
      userPurchases: s.purchases.get(user) ?? 0,
    });
  }

  private runCheckout(saleId: SaleId, user: UserId, item: ItemId, codeIfNew: CheckoutCode): LedgerCheckoutResult {
    const s = this.state(saleId);
    const meta = s.meta;
    const code = s.open.get(user);
    const current: CheckoutRecord = code ? s.checkouts.get(code)! : { user, items: [] };
    const verdict = this.verdictOf(s, user, item);
    if (verdict !== 'add' && verdict !== 'unchanged') {
      this.record(saleId, s, user, item, verdict);
      return { kind: 'rejected', reason: verdict };
    }
    const finalCode = code ?? codeIfNew;
    if (verdict === 'add') {
      current.items.push(item);
      s.checkouts.set(finalCode, current);
      s.open.set(user, finalCode);
    }
    this.record(saleId, s, user, item, 'accepted');
    return { kind: 'ok', code: finalCode, items: [...current.items], expiresAt: new Date(meta!.sale.endsAt), added: verdict === 'add' };
  }

  private record(saleId: SaleId, s: SaleState, user: string, item: ItemId, result: string): void {
    s.checkoutStats[result] = (s.checkoutStats[result] ?? 0) + 1;
    this.wiring.attempts?.logForSale(saleId, user, item, result);
  }

  // ---- PurchaseLedger (scripts/lua/purchase.lua) ----

  async purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>> {
    this.calls.purchase++;
    return this.idempotently<LedgerPurchaseResult>(
      saleId,
      idempotency,
      () => this.runPurchase(saleId, code, orderIdIfBought, buyer),
      (reason) => ({ kind: 'rejected', reason }),
    );
  }

  /** purchase-ended.lua: purchase()'s answer up to its sale_ended refusal, or null where purchase() must run. */
  async refuseEnded(saleId: SaleId, code: CheckoutCode, buyer: UserId | null): Promise<EndedPurchaseRefusal | null> {
    this.calls.refuseEnded++;
    const s = this.state(saleId);
    const c = s.checkouts.get(code);
    if (!c || (buyer !== null && c.user !== buyer)) return RejectionCode.CheckoutNotFound;
    if (c.spent) return null;
    return !s.meta || this.clock.now().getTime() >= s.meta.sale.endsAt.getTime() ? RejectionCode.SaleEnded : null;
  }

  private runPurchase(saleId: SaleId, code: CheckoutCode, orderId: string, buyer: UserId | null): LedgerPurchaseResult {
    const s = this.state(saleId);
    const c = s.checkouts.get(code);
    // Someone else's code is answered as unknown: it tells nothing about whose it is.
    if (!c || (buyer !== null && c.user !== buyer)) return { kind: 'rejected', reason: RejectionCode.CheckoutNotFound };
    if (c.spent) return { kind: 'done', firstTime: false, ...copyOf(c.spent) };
    const now = this.clock.now();
    const meta = s.meta;
    if (!meta || now.getTime() >= meta.sale.endsAt.getTime()) return { kind: 'rejected', reason: RejectionCode.SaleEnded };
    if (meta.paused) return { kind: 'rejected', reason: RejectionCode.SalePaused };

    const { saleCap, perUserLimit, onePurchasePerUser } = meta.sale.terms;
    let bought = s.bought.get(c.user) ?? 0;
    let sold = meta.sold;
    const purchasedBefore = onePurchasePerUser && (s.purchases.get(c.user) ?? 0) > 0;
    const purchased: ItemId[] = [];
    const failed: { id: ItemId; reason: PurchaseFailureReason }[] = [];
    const lines: OrderLine[] = [];
    const soldOut: ItemId[] = [];
    for (const item of c.items) {
      const left = s.stock.get(item) ?? 0;
      const verdict = purchaseItemVerdict({ unitsLeft: left, userBought: bought, perUserLimit, purchasedBefore, saleSold: sold, saleCap });
      if (verdict !== 'buy') {
        failed.push({ id: item, reason: verdict });
        s.purchaseFailures[verdict] = (s.purchaseFailures[verdict] ?? 0) + 1;
        continue;
      }
      s.stock.set(item, left - 1);
      bought++;
      sold++;
      purchased.push(item);
      // The unit is numbered by the units left before it sold: unique per item.
      lines.push({ itemId: item, unit: left });
      if (left === 1) soldOut.push(item);
    }
    const spent: SpentResult = { orderId: purchased.length > 0 ? orderId : null, purchased, failed, lines, at: now };
    if (purchased.length > 0) {
      s.bought.set(c.user, bought);
      s.purchases.set(c.user, (s.purchases.get(c.user) ?? 0) + 1);
      meta.sold = sold;
      s.purchasesAcknowledged++;
      s.unitsPurchased += purchased.length;
      this.wiring.outbox?.append({ id: orderId, saleId, userId: c.user, checkoutCode: code, lines: [...lines], purchasedAt: now });
      this.wiring.events?.publish(saleId, { kind: 'sold', unitsSold: sold, soldOut });
    }
    c.spent = spent;
    if (s.open.get(c.user) === code) s.open.delete(c.user);
    return { kind: 'done', firstTime: true, ...copyOf(spent) };
  }

  // ---- Idempotency-Key (scripts/lua/idempotency-claim.lua and lib/idempotency.lua) ----

  /**
   * Same key and request: the stored answer, replayed. Same key, another request: idempotency_key_reused.
   * A key whose request is still running: idempotency_key_in_use. Refusals that may change by themselves
   * (TRANSIENT_REJECTIONS) release the key instead of being stored. Keys live with their sale.
   */
  private idempotently<R extends { kind: string; reason?: string }>(
    saleId: SaleId,
    idempotency: IdempotencyRequest | null,
    work: () => R,
    refuse: (reason: IdempotencyRefusal) => R,
  ): Answer<R> {
    if (!idempotency) return { result: work(), replayed: false };
    const keys = this.state(saleId).idempotency;
    const record = keys.get(idempotency.key);
    if (record) {
      if (record.fingerprint !== idempotency.fingerprint) return { result: refuse(RejectionCode.IdempotencyKeyReused), replayed: false };
      if (record.result === undefined) return { result: refuse(RejectionCode.IdempotencyKeyInUse), replayed: false };
      return { result: structuredClone(record.result) as R, replayed: true };
    }
    const result = work();
    if (result.kind === 'rejected' && isOneOf(TRANSIENT_REJECTIONS, result.reason)) keys.delete(idempotency.key);
    else keys.set(idempotency.key, { fingerprint: idempotency.fingerprint, result: structuredClone(result) });
    return { result, replayed: false };
  }

  // ---- SaleReadModel (plain reads of the sale's keys) ----

  async isLoaded(saleId: SaleId): Promise<boolean> {
    return this.sales.get(saleId)?.meta != null;
  }

  async liveState(saleId: SaleId): Promise<SaleLiveState | null> {
    const meta = this.sales.get(saleId)?.meta;
    return meta ? { sold: meta.sold, paused: meta.paused, switches: meta.switches ?? 0 } : null;
  }

  async stats(saleId: SaleId): Promise<SaleStats> {
    const s = this.state(saleId);
    return {
      checkouts: { ...s.checkoutStats },
      purchaseFailures: { ...s.purchaseFailures },
      purchasesAcknowledged: s.purchasesAcknowledged,
      unitsPurchased: s.unitsPurchased,
    };
  }

  async unitsBoughtBy(saleId: SaleId, userId: UserId): Promise<number> {
    return this.state(saleId).bought.get(userId) ?? 0;
  }

  async unitsLeft(saleId: SaleId, itemIds: readonly ItemId[]): Promise<(number | null)[]> {
    const stock = this.state(saleId).stock;
    return itemIds.map((id) => stock.get(id) ?? null);
  }

  // ---- SaleLedgerLoader (sale-load-fields.lua, then sale-activate.lua) ----

  async load(
    sale: Sale,
    items: readonly ItemStock[],
    buyers: readonly BuyerTally[],
    alreadySold: number,
    paused = false,
  ): Promise<boolean> {
    this.calls.load++;
    const s = this.state(sale.id);
    // Never overwrites a field already there, so loading again cannot undo a sale.
    for (const item of items) if (!s.stock.has(item.id)) s.stock.set(item.id, item.unitsLeft);
    for (const b of buyers) {
      if (!s.bought.has(b.userId)) s.bought.set(b.userId, b.units);
      if (!s.purchases.has(b.userId)) s.purchases.set(b.userId, b.purchases);
    }
    if (s.meta) return false;
    s.meta = { sale, sold: alreadySold, paused };
    return true;
  }

  // ---- SalePauseSwitch (sale-pause.lua) ----

  async setPaused(saleId: SaleId, paused: boolean): Promise<boolean> {
    this.calls.setPaused++;
    const meta = this.sales.get(saleId)?.meta;
    if (!meta) return false;
    meta.paused = paused;
    meta.switches = (meta.switches ?? 0) + 1;
    this.wiring.events?.publish(saleId, { kind: paused ? 'paused' : 'resumed' });
    return true;
  }

  async pauseUnlessSwitched(saleId: SaleId, switches: number): Promise<'paused' | 'switched' | 'not_loaded'> {
    const meta = this.sales.get(saleId)?.meta;
    if (!meta) return 'not_loaded';
    if ((meta.switches ?? 0) !== switches) return 'switched';
    await this.setPaused(saleId, true);
    return 'paused';
  }

  // ---- AcknowledgedOrders (the spent checkout records) ----

  async *ofSale(saleId: SaleId): AsyncIterable<Order[]> {
    const chunk = this.wiring.acknowledgedChunk ?? 1000;
    const orders: Order[] = [];
    for (const [code, c] of this.state(saleId).checkouts) {
      if (!c.spent?.orderId) continue;
      const { orderId, lines, at } = c.spent;
      orders.push({ id: orderId, saleId, userId: c.user, checkoutCode: code, lines: [...lines], purchasedAt: at });
    }
    for (let i = 0; i < orders.length; i += chunk) yield orders.slice(i, i + chunk);
  }

  // ---- What tests do to Redis behind the application's back ----

  /** Sets an item's units left, as a rebuild from PostgreSQL after Redis lost data would. */
  restock(saleId: SaleId, itemId: ItemId, unitsLeft: number): void {
    this.state(saleId).stock.set(itemId, unitsLeft);
  }

  /** Drops every key of the sale, as when they expire after its retention (or Redis loses them). */
  forget(saleId: SaleId): void {
    this.sales.delete(saleId);
  }

  /** Claims an Idempotency-Key for a request that is still running (another instance, say). */
  holdIdempotencyKey(saleId: SaleId, key: string, fingerprint: string): void {
    this.state(saleId).idempotency.set(key, { fingerprint });
  }

  private state(saleId: SaleId): SaleState {
    let s = this.sales.get(saleId);
    if (!s) {
      s = new SaleState();
      this.sales.set(saleId, s);
    }
    return s;
  }
}

function copyOf(spent: SpentResult): {
  orderId: string | null;
  purchased: ItemId[];
  failed: { id: ItemId; reason: PurchaseFailureReason }[];
} {
  return { orderId: spent.orderId, purchased: [...spent.purchased], failed: spent.failed.map((f) => ({ ...f })) };
}
