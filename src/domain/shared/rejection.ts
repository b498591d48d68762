/**
 * Every expected "no" the engine can answer, with a stable machine-readable code. The HTTP layer maps each
 * code to a status in one place (interfaces/http/problem.mapper.ts); the CLI prints the same codes.
 */
export const RejectionCode = {
  InvalidRequest: 'invalid_request',
  NoActiveSale: 'no_active_sale',
  SaleNotFound: 'sale_not_found',
  /** A new sale's window overlaps an existing sale (sales never overlap). */
  SaleOverlaps: 'sale_overlaps',
  SaleNotStarted: 'sale_not_started',
  SaleEnded: 'sale_ended',
  SalePaused: 'sale_paused',
  SaleSoldOut: 'sale_sold_out',
  ItemNotFound: 'item_not_found',
  ItemSoldOut: 'item_sold_out',
  UserLimitReached: 'user_limit_reached',
  CheckoutNotFound: 'checkout_not_found',
  /** Another request with the same Idempotency-Key is still being processed. */
  IdempotencyKeyInUse: 'idempotency_key_in_use',
  /** The Idempotency-Key was used before for a different request. */
  IdempotencyKeyReused: 'idempotency_key_reused',
  /** Missing, unknown or expired credentials. */
  Unauthorized: 'unauthorized',
  /** The session's one-time code has not been verified yet. */
  VerificationRequired: 'verification_required',
  /** A user_id parameter that is not the authenticated user. */
  UserMismatch: 'user_mismatch',
  EmailTaken: 'email_taken',
  InvalidCredentials: 'invalid_credentials',
  InvalidCode: 'invalid_code',
  /** Too many wrong codes: log in again for a new one. */
  VerificationLocked: 'verification_locked',
  RateLimited: 'rate_limited',
} as const;
export type RejectionCode = (typeof RejectionCode)[keyof typeof RejectionCode];

export interface Rejection {
  readonly code: RejectionCode;
  readonly detail: string;
  /** Seconds after which trying again may succeed (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

export const reject = (code: RejectionCode, detail: string, retryAfterSeconds?: number): Rejection =>
  retryAfterSeconds === undefined ? { code, detail } : { code, detail, retryAfterSeconds };

/** Thrown only for programming errors and invariants a caller could not have violated by input. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}
