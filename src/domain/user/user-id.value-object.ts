/** A buyer's id: an opaque string from the identity upstream, 1 to 64 characters of [A-Za-z0-9_.:-]. */
export type UserId = string & { readonly __brand: 'UserId' };

export const USER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function parseUserId(raw: unknown): UserId | null {
  return typeof raw === 'string' && USER_ID_PATTERN.test(raw) ? (raw as UserId) : null;
}
