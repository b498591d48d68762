/** Sale ids are positive integers assigned by the database. */
export type SaleId = number & { readonly __brand: 'SaleId' };

const DIGITS = /^[1-9][0-9]{0,9}$/;

export function parseSaleId(raw: unknown): SaleId | null {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 1 && raw <= 2_147_483_647 ? (raw as SaleId) : null;
  if (typeof raw !== 'string' || !DIGITS.test(raw)) return null;
  const n = Number(raw);
  return n <= 2_147_483_647 ? (n as SaleId) : null;
}
