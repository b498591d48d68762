import { InvariantViolation } from '../shared/rejection';

/** The numbers a sale is run with. Hourly sales take them from configuration. */
export interface SaleTerms {
  /** How many distinct items are on sale. */
  readonly itemsTotal: number;
  /** How many units may be sold in the whole sale (the sale cap). */
  readonly saleCap: number;
  /** How many units one user may buy in the sale. */
  readonly perUserLimit: number;
  /** Units per item; the default sale sells each item once. */
  readonly unitsPerItem: number;
  /** At most one purchase per user, whatever its size (on top of perUserLimit). */
  readonly onePurchasePerUser: boolean;
}

/** The largest count a sale's terms may hold: the order store keeps them as 32-bit integers. */
export const MAX_SALE_COUNT = 2_147_483_647;

/** Whether two sets of terms are the same in every number and rule. */
export function sameTerms(a: SaleTerms, b: SaleTerms): boolean {
  return (
    a.itemsTotal === b.itemsTotal &&
    a.saleCap === b.saleCap &&
    a.perUserLimit === b.perUserLimit &&
    a.unitsPerItem === b.unitsPerItem &&
    a.onePurchasePerUser === b.onePurchasePerUser
  );
}

export function assertValidTerms(terms: SaleTerms): SaleTerms {
  const positive = (name: string, n: number) => {
    if (!Number.isSafeInteger(n) || n < 1) throw new InvariantViolation(`${name} must be a positive integer, got ${n}`);
    if (n > MAX_SALE_COUNT) throw new InvariantViolation(`${name} must be at most ${MAX_SALE_COUNT}, got ${n}`);
  };
  positive('itemsTotal', terms.itemsTotal);
  positive('saleCap', terms.saleCap);
  positive('perUserLimit', terms.perUserLimit);
  positive('unitsPerItem', terms.unitsPerItem);
  return terms;
}
