import { SaleId, parseSaleId } from '../sale/sale-id.value-object';

/**
 * A checkout code names its sale ("<saleId>-<token>"), so a purchase finds the sale's keys without a lookup.
 * The token is random and unguessable; it is the only secret a buyer holds for the checkout.
 */
export type CheckoutCode = string & { readonly __brand: 'CheckoutCode' };

const PATTERN = /^([1-9][0-9]{0,9})-([A-Za-z0-9_-]{16,64})$/;

export function composeCheckoutCode(saleId: SaleId, token: string): CheckoutCode {
  const code = `${saleId}-${token}`;
  if (!PATTERN.test(code)) throw new Error(`bad checkout token ${JSON.stringify(token)}`);
  return code as CheckoutCode;
}

export function parseCheckoutCode(raw: unknown): { code: CheckoutCode; saleId: SaleId } | null {
  if (typeof raw !== 'string') return null;
  const m = PATTERN.exec(raw);
  if (!m) return null;
  const saleId = parseSaleId(m[1]);
  return saleId === null ? null : { code: raw as CheckoutCode, saleId };
}
