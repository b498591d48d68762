import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { Order } from '../../domain/order/order.entity';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { CheckoutRejectionCode, PurchaseFailureReason } from '../../domain/sale/sale-rules';
import { Sale } from '../../domain/sale/sale.entity';
import { UserId } from '../../domain/user/user-id.value-object';

/**
 * A request sent with an Idempotency-Key: `key` names it (already scoped by the caller, e.g. per user),
 * `fingerprint` says what it asks for, so a retry can be told from a different request under the same key.
 */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

type IdempotencyRefusal = 'idempotency_key_in_use' | 'idempotency_key_reused';

export type LedgerCheckoutResult =
  | { readonly kind: 'ok'; readonly code: CheckoutCode; readonly items: ItemId[]; readonly expiresAt: Date; readonly added: boolean }
  | { readonly kind: 'rejected'; readonly reason: CheckoutRejectionCode | IdempotencyRefusal };

export type LedgerPurchaseResult =
  | {
      readonly kind: 'done';
      /** False when the code was already spent and this is its stored result. */
      readonly firstTime: boolean;
      readonly orderId: string | null;
      readonly purchased: ItemId[];
      readonly failed: { id: ItemId; reason: PurchaseFailureReason }[];
    }
  | { readonly kind: 'rejected'; readonly reason: 'checkout_not_found' | 'sale_ended' | 'sale_paused' | IdempotencyRefusal };

/** A ledger answer, and whether it is the stored answer to an earlier request with the same Idempotency-Key. */
export interface Answer<T> {
  readonly result: T;
  readonly replayed: boolean;
}

export interface SaleLiveState {
  readonly sold: number;
  readonly paused: boolean;
}

/** Counters the ledger keeps per sale, for operators. */
export interface SaleStats {
  /** Checkout attempts by result ("accepted" or the refusal code). */
  readonly checkouts: Record<string, number>;
  /** Items that could not be bought at purchase, by reason. */
  readonly purchaseFailures: Record<string, number>;
  /** Purchases that bought at least one item (each becomes one order). */
  readonly purchasesAcknowledged: number;
  readonly unitsPurchased: number;
}

/** What a buyer already bought in a sale, for rebuilding the ledger from PostgreSQL. */
export interface BuyerTally {
  readonly userId: string;
  readonly units: number;
  readonly purchases: number;
}

export interface ItemStock {
  readonly id: ItemId;
  readonly unitsLeft: number;
}

/**
 * The live, authoritative state of sales (Redis). Checkout and purchase are single atomic steps here;
 * this is the only place the hot path goes. With an idempotency request, the key is checked and the
 * answer stored in the same atomic step as the work.
 */
export abstract class SaleLedger {
  abstract checkout(
    saleId: SaleId,
    userId: UserId,
    itemId: ItemId,
    codeIfNew: CheckoutCode,
    idempotency: IdempotencyRequest | null,
  ): Promise<Answer<LedgerCheckoutResult>>;
  /**
   * A checkout of an item believed sold out, without an idempotency key. If checkout() would refuse it as
   * item_sold_out, it is refused so (logged and tallied as checkout() logs it) and the answer is true;
   * otherwise nothing changes and the answer is false. Much cheaper than checkout(): the calls made in one
   * turn of the event loop share one round trip.
   */
  abstract refuseSoldOut(saleId: SaleId, userId: UserId, itemId: ItemId): Promise<boolean>;
  /** `buyer`: the authenticated user, who must own the checkout (null when user ids are trusted as given). */
  abstract purchase(
    saleId: SaleId,
    code: CheckoutCode,
    orderIdIfBought: string,
    idempotency: IdempotencyRequest | null,
    buyer: UserId | null,
  ): Promise<Answer<LedgerPurchaseResult>>;

  /** Null when the sale is not loaded. */
  abstract liveState(saleId: SaleId): Promise<SaleLiveState | null>;
  /** Pauses or resumes a loaded sale, atomically with checkout and purchase. False when it is not loaded. */
  abstract setPaused(saleId: SaleId, paused: boolean): Promise<boolean>;
  abstract stats(saleId: SaleId): Promise<SaleStats>;
  abstract unitsBoughtBy(saleId: SaleId, userId: UserId): Promise<number>;
  /** Units left per item, null for items the ledger does not hold. */
  abstract unitsLeft(saleId: SaleId, itemIds: readonly ItemId[]): Promise<(number | null)[]>;

  /**
   * Every purchase the ledger acknowledged with items, as the order it must become, in chunks. For the
   * reconciler: PostgreSQL must end up with exactly these.
   */
  abstract acknowledgedOrders(saleId: SaleId): AsyncIterable<Order[]>;

  abstract isLoaded(saleId: SaleId): Promise<boolean>;
  /**
   * Loads a sale and its items, idempotently: items already present are left alone, and the sale is
   * published only once. Returns false when it was already loaded.
   */
  abstract load(sale: Sale, items: readonly ItemStock[], buyers: readonly BuyerTally[], alreadySold: number): Promise<boolean>;
}
