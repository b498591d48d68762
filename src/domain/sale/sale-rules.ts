import { RejectionCode } from '../shared/rejection';

/*
 * The rules of a sale, as plain functions. They are the specification: the Lua scripts in scripts/lua/
 * apply exactly these rules atomically inside Redis (where they must run to be race-free), and
 * test/contract/ checks that the scripts and these functions agree on every case.
 */

export type SalePhase = 'scheduled' | 'open' | 'ended';

export interface CheckoutFacts {
  readonly phase: SalePhase;
  readonly paused: boolean;
  /** Units of the item left, or null when the item is not part of the sale. */
  readonly unitsLeft: number | null;
  readonly saleSold: number;
  readonly saleCap: number;
  readonly alreadyInCheckout: boolean;
  /** Units the user has bought in this sale. */
  readonly userBought: number;
  /** Items in the user's open checkout. */
  readonly itemsInCheckout: number;
  readonly perUserLimit: number;
  readonly onePurchasePerUser: boolean;
  /** Purchases (orders) the user made in this sale. */
  readonly userPurchases: number;
}

/** Every refusal a checkout can get from the rules (and so from scripts/lua/checkout.lua). */
export const CHECKOUT_REJECTIONS = [
  RejectionCode.SaleNotStarted,
  RejectionCode.NoActiveSale,
  RejectionCode.SalePaused,
  RejectionCode.ItemNotFound,
  RejectionCode.ItemSoldOut,
  RejectionCode.SaleSoldOut,
  RejectionCode.UserLimitReached,
] as const;
export type CheckoutRejectionCode = (typeof CHECKOUT_REJECTIONS)[number];

/** 'add': the item joins the checkout; 'unchanged': it is already there (checkout is idempotent). */
export type CheckoutVerdict = 'add' | 'unchanged' | CheckoutRejectionCode;

/**
 * Checkout reserves nothing: it only refuses what could not be bought anyway.
 *
 * Within an open sale, facts about the item come first: an item that is not in the sale, or is sold out, is
 * refused as such whatever else holds (a pause, or the item already sitting in the user's checkout, where
 * it could no longer be bought). An item's stock only ever falls during a sale, so "sold out" is final:
 * an instance that has once been told so may give the same answer itself (SoldOutItems), and it is the
 * answer the ledger would give.
 */
export function checkoutVerdict(f: CheckoutFacts): CheckoutVerdict {
  if (f.phase === 'scheduled') return RejectionCode.SaleNotStarted;
  if (f.phase === 'ended') return RejectionCode.NoActiveSale;
  if (f.unitsLeft === null) return RejectionCode.ItemNotFound;
  if (f.unitsLeft <= 0) return RejectionCode.ItemSoldOut;
  if (f.paused) return RejectionCode.SalePaused;
  if (f.alreadyInCheckout) return 'unchanged';
  if (f.saleSold >= f.saleCap) return RejectionCode.SaleSoldOut;
  if (f.userBought + f.itemsInCheckout + 1 > f.perUserLimit) return RejectionCode.UserLimitReached;
  if (f.onePurchasePerUser && f.userPurchases > 0) return RejectionCode.UserLimitReached;
  return 'add';
}

export interface PurchaseItemFacts {
  readonly unitsLeft: number;
  readonly userBought: number;
  readonly perUserLimit: number;
  /** True when the sale allows one purchase per user and this user already made one (before this one). */
  readonly purchasedBefore: boolean;
  readonly saleSold: number;
  readonly saleCap: number;
}

/** Why one item of a purchase could not be bought (the purchase goes on with the others). */
export const PURCHASE_FAILURE_REASONS = [RejectionCode.ItemSoldOut, RejectionCode.UserLimitReached, RejectionCode.SaleSoldOut] as const;
export type PurchaseFailureReason = (typeof PURCHASE_FAILURE_REASONS)[number];

/** Refusals of a whole purchase: nothing is bought and the code is not spent. */
export const PURCHASE_REJECTIONS = [RejectionCode.CheckoutNotFound, RejectionCode.SaleEnded, RejectionCode.SalePaused] as const;
export type PurchaseRejectionCode = (typeof PURCHASE_REJECTIONS)[number];

/**
 * One item of a checkout being bought. Items are tried in the order they were added; each successful one
 * raises userBought and saleSold for the next.
 */
export function purchaseItemVerdict(f: PurchaseItemFacts): 'buy' | PurchaseFailureReason {
  if (f.unitsLeft <= 0) return RejectionCode.ItemSoldOut;
  if (f.userBought >= f.perUserLimit || f.purchasedBefore) return RejectionCode.UserLimitReached;
  if (f.saleSold >= f.saleCap) return RejectionCode.SaleSoldOut;
  return 'buy';
}
