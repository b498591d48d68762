import { RejectionCode } from '../../domain/shared/rejection';

/** The human-readable detail of each refusal, the same wherever it is produced. */
export const REJECTION_DETAIL: Record<RejectionCode, string> = {
  invalid_request: 'The request is not valid.',
  no_active_sale: 'No sale is running right now.',
  sale_not_found: 'There is no such sale.',
  sale_overlaps: 'Another sale already runs during that time.',
  sale_not_started: 'The sale has not started yet.',
  sale_ended: 'The sale of this checkout has ended.',
  sale_paused: 'The sale is paused; try again shortly.',
  sale_sold_out: 'The sale is sold out.',
  item_not_found: 'This item is not part of the running sale.',
  item_sold_out: 'This item is sold out.',
  user_limit_reached: 'This would exceed your limit for this sale.',
  checkout_not_found: 'No checkout has this code.',
  idempotency_key_in_use: 'A request with this Idempotency-Key is still being processed; retry after it finishes.',
  idempotency_key_reused: 'This Idempotency-Key was already used for a different request.',
  unauthorized: 'Sign in first: this needs a valid session or token.',
  verification_required: 'Enter the code we sent you before checking out or buying.',
  user_mismatch: 'user_id must be the signed-in user (or left out).',
  email_taken: 'An account with this e-mail address exists already.',
  invalid_credentials: 'Wrong e-mail address or password.',
  invalid_code: 'That code is not right.',
  verification_locked: 'Too many wrong codes: sign in again to get a new one.',
  rate_limited: 'Too many requests: slow down.',
};
