import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { Outcome } from '../../application/shared/outcome';
import { Rejection, RejectionCode } from '../../domain/shared/rejection';

/**
 * The one place that maps an outcome code to HTTP. Every error leaves as RFC 9457 problem+json with a stable
 * `code`; `type` is a URN built from it, so clients can branch on either.
 */
export const HttpOnlyCode = {
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  UnsupportedMediaType: 'unsupported_media_type',
  PayloadTooLarge: 'payload_too_large',
  HeadersTooLarge: 'headers_too_large',
  RequestTimeout: 'request_timeout',
  ExpectationFailed: 'expectation_failed',
  ServiceUnavailable: 'service_unavailable',
  InternalError: 'internal_error',
} as const;
export type ProblemCode = RejectionCode | (typeof HttpOnlyCode)[keyof typeof HttpOnlyCode];

const PROBLEMS: Record<ProblemCode, { status: number; title: string }> = {
  invalid_request: { status: 400, title: 'Invalid request' },
  no_active_sale: { status: 409, title: 'No active sale' },
  sale_not_found: { status: 404, title: 'Sale not found' },
  sale_overlaps: { status: 409, title: 'Sale overlaps another' },
  sale_not_started: { status: 409, title: 'Sale not started' },
  sale_ended: { status: 409, title: 'Sale ended' },
  sale_paused: { status: 409, title: 'Sale paused' },
  sale_sold_out: { status: 409, title: 'Sale sold out' },
  item_not_found: { status: 404, title: 'Item not found' },
  item_sold_out: { status: 409, title: 'Item sold out' },
  user_limit_reached: { status: 409, title: 'User limit reached' },
  checkout_not_found: { status: 404, title: 'Checkout not found' },
  idempotency_key_in_use: { status: 409, title: 'Idempotency key in use' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused' },
  verification_required: { status: 403, title: 'Verification required' },
  user_mismatch: { status: 403, title: 'User mismatch' },
  email_taken: { status: 409, title: 'E-mail address taken' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  email_undeliverable: { status: 422, title: 'E-mail address undeliverable' },
  invalid_code: { status: 400, title: 'Invalid code' },
  verification_locked: { status: 403, title: 'Verification locked' },
  rate_limited: { status: 429, title: 'Too many requests' },
  admission_required: { status: 403, title: 'Admission required' },
  not_in_line: { status: 404, title: 'Not in line' },
  line_not_open: { status: 409, title: 'Line not open' },
  proof_of_work_required: { status: 403, title: 'Proof of work required' },
  not_found: { status: 404, title: 'Not found' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  request_timeout: { status: 408, title: 'Request timeout' },
  expectation_failed: { status: 417, title: 'Expectation failed' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  internal_error: { status: 500, title: 'Internal error' },
};

export interface ProblemExtras {
  /** A status other than the code's usual one, where the route calls for it. */
  readonly status?: number;
  /** For invalid_request: the parameter at fault. */
  readonly parameter?: string;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
}

export function problemBody(code: ProblemCode, detail: string, parameter?: string) {
  const { status, title } = PROBLEMS[code];
  return { type: `urn:flashsale:problem:${code}`, title, status, detail, code, ...(parameter ? { parameter } : {}) };
}

/**
 * The last body sent per code. Refusals repeat (a sold-out item is refused thousands of times a second, each
 * time with the same detail), so a body is serialized once until the next one of its code differs.
 */
const lastBodies = new Map<
  ProblemCode,
  { readonly detail: string; readonly status: number; readonly parameter?: string; readonly json: string }
>();

function problemJson(code: ProblemCode, detail: string, status: number, parameter?: string): string {
  const last = lastBodies.get(code);
  if (last && last.detail === detail && last.status === status && last.parameter === parameter) return last.json;
  const json = JSON.stringify({ ...problemBody(code, detail, parameter), status });
  lastBodies.set(code, { detail, status, parameter, json });
  return json;
}

export function sendProblem(reply: FastifyReply, code: ProblemCode, detail: string, extras: ProblemExtras = {}): FastifyReply {
  if (extras.retryAfterSeconds !== undefined) reply.header('retry-after', String(extras.retryAfterSeconds));
  if (extras.headers) for (const [name, value] of Object.entries(extras.headers)) reply.header(name, value);
  const status = extras.status ?? PROBLEMS[code].status;
  // RFC 9110 §15.5.2: a 401 says how to authenticate. Buyers sign in with a bearer token (or its session
  // cookie); the admin door sets its own realm first.
  if (status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer realm="flashsale"');
  return reply
    .code(status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(problemJson(code, detail, status, extras.parameter));
}

export function sendRejection(reply: FastifyReply, rejection: Rejection, status?: number): FastifyReply {
  return sendProblem(reply, rejection.code, rejection.detail, { retryAfterSeconds: rejection.retryAfterSeconds, status });
}

/**
 * Answers a use case's outcome: 200 with `body(value)`, or the refusal as problem+json. A stored answer
 * to an earlier request with the same Idempotency-Key is marked with `Idempotent-Replayed: true`.
 */
export function sendOutcome<T>(reply: FastifyReply, outcome: Outcome<T>, body: (value: T) => unknown): FastifyReply {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return outcome.result.ok ? reply.send(body(outcome.result.value)) : sendRejection(reply, outcome.result.error);
}

/**
 * A whole HTTP/1.1 response carrying a problem, for a request that never became one (Node's parser refused
 * it: a malformed request line or header, headers too large, too slow to arrive). The connection closes after it.
 */
export function rawProblemResponse(code: ProblemCode, detail: string): string {
  const { status, title } = PROBLEMS[code];
  const body = JSON.stringify(problemBody(code, detail));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
