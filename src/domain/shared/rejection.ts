/**
 * Every expected "no" the engine can answer, with a stable machine-readable code and the sentence that
 * explains it. This catalog is the one list: the HTTP layer maps each code to a status in one table
 * (interfaces/http/problem-details.ts, a Record the compiler checks for completeness), the CLI prints the
 * same codes, and the Lua scripts get TRANSIENT_REJECTIONS from here (infrastructure/redis/lua-scripts.ts).
 */
export const REJECTIONS = {
  invalid_request: 'The request is not valid.',
  no_active_sale: 'No sale is running right now.',
  sale_not_found: 'There is no such sale.',
  /** A new sale's window overlaps an existing sale (sales never overlap). */
  sale_overlaps: 'Another sale already runs during that time.',
  sale_not_started: 'The sale has not started yet.',
  sale_ended: 'The sale of this checkout has ended.',
  sale_paused: 'The sale is paused; try again shortly.',
  sale_sold_out: 'The sale is sold out.',
  item_not_found: 'This item is not part of the running sale.',
  item_sold_out: 'This item is sold out.',
  user_limit_reached: 'This would exceed your limit for this sale.',
  checkout_not_found: 'No checkout has this code.',
  /** Another request with the same Idempotency-Key is still being processed. */
  idempotency_key_in_use: 'A request with this Idempotency-Key is still being processed; retry after it finishes.',
  /** The Idempotency-Key was used before for a different request. */
  idempotency_key_reused: 'This Idempotency-Key was already used for a different request.',
  /** Missing, unknown or expired credentials. */
  unauthorized: 'Sign in first: this needs a valid session or token.',
  /** The session's one-time code has not been verified yet. */
  verification_required: 'Enter the code we sent you before checking out or buying.',
  /** A user_id parameter that is not the authenticated user. */
  user_mismatch: 'user_id must be the signed-in user (or left out).',
  email_taken: 'An account with this e-mail address exists already.',
  invalid_credentials: 'Wrong e-mail address or password.',
  /** The receiving mail server refused the account's address for good (no such mailbox or domain). */
  email_undeliverable: "The account's e-mail address refuses mail: no sign-in code can reach it.",
  invalid_code: 'That code is not right.',
  /** Too many wrong codes: log in again for a new one. */
  verification_locked: 'Too many wrong codes: sign in again to get a new one.',
  rate_limited: 'Too many requests: slow down.',
  /** The waiting room is on and the request carries no valid admission for this buyer and sale. */
  admission_required: 'Wait for your turn in the line (POST /sales/:id/line): this needs an admission for you and this sale.',
  /** GET /sales/:id/line by a buyer who has no place in it. */
  not_in_line: 'You have no place in this line: join it first (POST /sales/:id/line).',
  /** The waiting room is off, or the sale's line opens later. */
  line_not_open: 'This sale has no open line.',
  /** WAITING_ROOM_POW_BITS is set and the join carries no valid hashcash stamp. */
  proof_of_work_required: 'Joining the line needs a proof of work (the pow parameter).',
} as const;

export type RejectionCode = keyof typeof REJECTIONS;

/** The codes by name, for code that reads better with a constant than with a string. */
export const RejectionCode = {
  InvalidRequest: 'invalid_request',
  NoActiveSale: 'no_active_sale',
  SaleNotFound: 'sale_not_found',
  SaleOverlaps: 'sale_overlaps',
  SaleNotStarted: 'sale_not_started',
  SaleEnded: 'sale_ended',
  SalePaused: 'sale_paused',
  SaleSoldOut: 'sale_sold_out',
  ItemNotFound: 'item_not_found',
  ItemSoldOut: 'item_sold_out',
  UserLimitReached: 'user_limit_reached',
  CheckoutNotFound: 'checkout_not_found',
  IdempotencyKeyInUse: 'idempotency_key_in_use',
  IdempotencyKeyReused: 'idempotency_key_reused',
  Unauthorized: 'unauthorized',
  VerificationRequired: 'verification_required',
  UserMismatch: 'user_mismatch',
  EmailTaken: 'email_taken',
  InvalidCredentials: 'invalid_credentials',
  EmailUndeliverable: 'email_undeliverable',
  InvalidCode: 'invalid_code',
  VerificationLocked: 'verification_locked',
  RateLimited: 'rate_limited',
  AdmissionRequired: 'admission_required',
  NotInLine: 'not_in_line',
  LineNotOpen: 'line_not_open',
  ProofOfWorkRequired: 'proof_of_work_required',
} as const satisfies Record<string, RejectionCode>;

/**
 * Refusals that may change by themselves (a pause ends, a sale opens): a request refused so may succeed
 * later unchanged, so its Idempotency-Key is released rather than stored with the refusal.
 */
export const TRANSIENT_REJECTIONS = [RejectionCode.SalePaused, RejectionCode.SaleNotStarted, RejectionCode.NoActiveSale] as const;

export interface Rejection {
  readonly code: RejectionCode;
  readonly detail: string;
  /** Seconds after which trying again may succeed (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

/** A refusal with the catalog's sentence, or a more specific one. */
export const reject = (code: RejectionCode, detail: string = REJECTIONS[code], retryAfterSeconds?: number): Rejection =>
  retryAfterSeconds === undefined ? { code, detail } : { code, detail, retryAfterSeconds };

/** Thrown only for programming errors and invariants a caller could not have violated by input. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** True when `value` is one of `codes`: for checking codes that arrive as text (a script's reply). */
export function isOneOf<T extends string>(codes: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (codes as readonly string[]).includes(value);
}
