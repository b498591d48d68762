/**
 * A request sent with an Idempotency-Key: `key` names it (already scoped by the caller, e.g. per user),
 * `fingerprint` says what it asks for, so a retry can be told from a different request under the same key.
 */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

export const IDEMPOTENCY_REJECTIONS = ['idempotency_key_in_use', 'idempotency_key_reused'] as const;
export type IdempotencyRefusal = (typeof IDEMPOTENCY_REJECTIONS)[number];

/** A ledger answer, and whether it is the stored answer to an earlier request with the same Idempotency-Key. */
export interface Answer<T> {
  readonly result: T;
  readonly replayed: boolean;
}
