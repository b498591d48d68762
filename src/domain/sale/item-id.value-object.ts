/** Item ids are positive integers that fit PostgreSQL's `integer`. */
export type ItemId = number & { readonly __brand: 'ItemId' };

export const MAX_ITEM_ID = 2_147_483_647;
const DIGITS = /^[1-9][0-9]{0,9}$/;

export function parseItemId(raw: unknown): ItemId | null {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 1 && raw <= MAX_ITEM_ID ? (raw as ItemId) : null;
  if (typeof raw !== 'string' || !DIGITS.test(raw)) return null;
  const n = Number(raw);
  return n <= MAX_ITEM_ID ? (n as ItemId) : null;
}
