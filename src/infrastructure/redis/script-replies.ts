import { LedgerCheckoutResult, SoldOutRefusal } from '../../application/checkout/checkout-ledger.port';
import { OtpCheck } from '../../application/identity/session-store.port';
import { EndedPurchaseRefusal, LedgerPurchaseResult } from '../../application/purchase/purchase-ledger.port';
import { IDEMPOTENCY_REJECTIONS } from '../../application/shared/idempotency';
import { CheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { CHECKOUT_REJECTIONS, PURCHASE_FAILURE_REASONS, PURCHASE_REJECTIONS } from '../../domain/sale/sale-rules';
import { RejectionCode, isOneOf } from '../../domain/shared/rejection';
import { LINE_CLOSE_REASONS, LineCloseReason, LineStanding } from '../../domain/line/line-place';
import { AdmitStep, LineStatus, LineWatch } from '../../application/line/waiting-line.port';

/*
 * The one place where a Lua script's reply becomes the application's types. Each decoder checks the reply's
 * shape and every code in it against the domain's lists, so a script that answers something the TypeScript
 * side does not know (a new refusal added to a script only) fails loudly here instead of flowing on as a
 * cast string.
 */

/** A script answered something its decoder does not know: a bug (script and code out of step), never input. */
export class UnexpectedScriptReply extends Error {
  override readonly name = 'UnexpectedScriptReply';
  constructor(script: string, reply: unknown) {
    super(`${script}.lua answered ${JSON.stringify(reply)?.slice(0, 200)}, which its decoder does not know`);
  }
}

const CHECKOUT_REFUSALS = [...CHECKOUT_REJECTIONS, ...IDEMPOTENCY_REJECTIONS];
const PURCHASE_REFUSALS = [...PURCHASE_REJECTIONS, ...IDEMPOTENCY_REJECTIONS];

function strings(script: string, reply: unknown, min: number): string[] {
  if (!Array.isArray(reply) || reply.length < min || !reply.every((v) => typeof v === 'string')) {
    throw new UnexpectedScriptReply(script, reply);
  }
  return reply as string[];
}

function itemIds(script: string, reply: unknown, csv: string): ItemId[] {
  if (csv === '') return [];
  return csv.split(',').map((s) => itemId(script, reply, s));
}

function itemId(script: string, reply: unknown, s: string | undefined): ItemId {
  if (!s || !/^[1-9][0-9]{0,9}$/.test(s)) throw new UnexpectedScriptReply(script, reply);
  return Number(s) as ItemId;
}

function epochMs(script: string, reply: unknown, s: string): Date {
  if (!/^[0-9]{1,15}$/.test(s)) throw new UnexpectedScriptReply(script, reply);
  return new Date(Number(s));
}

/** checkout.lua: {"ok", code, "itemId,...", endsAtMs, "added"|"unchanged"} or {refusal}. */
export function decodeCheckout(reply: unknown): LedgerCheckoutResult {
  const r = strings('checkout', reply, 1);
  if (r[0] !== 'ok') {
    if (r.length === 1 && isOneOf(CHECKOUT_REFUSALS, r[0])) return { kind: 'rejected', reason: r[0] };
    throw new UnexpectedScriptReply('checkout', reply);
  }
  if (r.length !== 5 || (r[4] !== 'added' && r[4] !== 'unchanged') || !r[1]) throw new UnexpectedScriptReply('checkout', reply);
  return {
    kind: 'ok',
    code: r[1] as CheckoutCode,
    items: itemIds('checkout', reply, r[2]!),
    expiresAt: epochMs('checkout', reply, r[3]!),
    added: r[4] === 'added',
  };
}

/** A call of a batch whose step raised an error in its script: that caller's failure alone. */
export class ScriptStepFailed extends Error {
  override readonly name = 'ScriptStepFailed';
  constructor(script: string, message: string) {
    super(`${script}.lua failed on one call of its batch: ${message}`);
  }
}

/**
 * A batch script's replies, one per call: each decoded alone, so a reply that fails (a step's error, or a reply
 * the decoder does not know) is that caller's error, not the batch's.
 */
function batchReplies<R>(script: string, reply: unknown, count: number, decode: (r: unknown) => R): (R | Error)[] {
  if (!Array.isArray(reply) || reply.length !== count) throw new UnexpectedScriptReply(script, reply);
  return reply.map((r: unknown) => {
    if (Array.isArray(r) && r[0] === 'failed') return new ScriptStepFailed(script, String(r[1]));
    try {
      return decode(r);
    } catch (e) {
      return e as Error;
    }
  });
}

/** checkout-batch.lua: one checkout.lua reply per checkout sent (or its failure). */
export function decodeCheckoutBatch(reply: unknown, count: number): (LedgerCheckoutResult | Error)[] {
  return batchReplies('checkout-batch', reply, count, decodeCheckout);
}

/** purchase.lua: {"done", orderId or "", "itemId,...", "itemId:reason,...", purchasedAtMs, "new"|"again"} or {refusal}. */
export function decodePurchase(reply: unknown): LedgerPurchaseResult {
  const r = strings('purchase', reply, 1);
  if (r[0] !== 'done') {
    if (r.length === 1 && isOneOf(PURCHASE_REFUSALS, r[0])) return { kind: 'rejected', reason: r[0] };
    throw new UnexpectedScriptReply('purchase', reply);
  }
  if (r.length !== 6 || (r[5] !== 'new' && r[5] !== 'again')) throw new UnexpectedScriptReply('purchase', reply);
  epochMs('purchase', reply, r[4]!);
  const failed =
    r[3] === ''
      ? []
      : r[3]!.split(',').map((f) => {
          const [id, reason] = f.split(':');
          if (!isOneOf(PURCHASE_FAILURE_REASONS, reason)) throw new UnexpectedScriptReply('purchase', reply);
          return { id: itemId('purchase', reply, id), reason };
        });
  const purchased = itemIds('purchase', reply, r[2]!);
  if ((r[1] === '') !== (purchased.length === 0)) throw new UnexpectedScriptReply('purchase', reply);
  return { kind: 'done', firstTime: r[5] === 'new', orderId: r[1] === '' ? null : r[1]!, purchased, failed };
}

/** purchase-batch.lua: one purchase.lua reply per purchase sent (or its failure). */
export function decodePurchaseBatch(reply: unknown, count: number): (LedgerPurchaseResult | Error)[] {
  return batchReplies('purchase-batch', reply, count, decodePurchase);
}

export type IdempotencyClaim =
  | { readonly kind: 'claimed' | 'in_progress' | 'mismatch' }
  /** The stored reply of the work script, to decode with that script's decoder. */
  | { readonly kind: 'done'; readonly reply: string[] };

/** idempotency-claim.lua: {"claimed"} | {"in_progress"} | {"mismatch"} | {"done", reply...}. */
export function decodeIdempotencyClaim(reply: unknown): IdempotencyClaim {
  const r = strings('idempotency-claim', reply, 1);
  if (r[0] === 'done' && r.length > 1) return { kind: 'done', reply: r.slice(1) };
  if (r.length === 1 && (r[0] === 'claimed' || r[0] === 'in_progress' || r[0] === 'mismatch')) return { kind: r[0] };
  throw new UnexpectedScriptReply('idempotency-claim', reply);
}

/** checkout-sold-out.lua: per checkout sent, 1 (refused as item_sold_out), 2 (as sale_sold_out) or 0 (neither). */
export function decodeSoldOutVerdicts(reply: unknown, count: number): (SoldOutRefusal | null)[] {
  if (!Array.isArray(reply) || reply.length !== count || !reply.every((v) => v === 0 || v === 1 || v === 2)) {
    throw new UnexpectedScriptReply('checkout-sold-out', reply);
  }
  return reply.map((v) => (v === 1 ? RejectionCode.ItemSoldOut : v === 2 ? RejectionCode.SaleSoldOut : null));
}

/** purchase-ended.lua: one number per purchase, 1 checkout_not_found, 2 sale_ended, 0 neither. */
export function decodeEndedVerdicts(reply: unknown, count: number): (EndedPurchaseRefusal | null)[] {
  if (!Array.isArray(reply) || reply.length !== count || !reply.every((v) => v === 0 || v === 1 || v === 2)) {
    throw new UnexpectedScriptReply('purchase-ended', reply);
  }
  return reply.map((v) => (v === 1 ? RejectionCode.CheckoutNotFound : v === 2 ? RejectionCode.SaleEnded : null));
}

/** Scripts that answer 1 (done) or 0 (nothing to do). */
export function decodeFlag(script: string, reply: unknown): boolean {
  if (reply !== 0 && reply !== 1) throw new UnexpectedScriptReply(script, reply);
  return reply === 1;
}

/** session-verify-code.lua: {"verified"} | {"wrong", attemptsLeft} | {"locked"} | {"expired"} | {"no_session"}. */
export function decodeOtpCheck(reply: unknown): OtpCheck {
  if (!Array.isArray(reply) || reply.length < 1) throw new UnexpectedScriptReply('session-verify-code', reply);
  const [kind, left] = reply as unknown[];
  if (kind === 'wrong' && typeof left === 'number' && reply.length === 2) return { kind, attemptsLeft: left };
  if (reply.length === 1 && (kind === 'verified' || kind === 'locked' || kind === 'expired' || kind === 'no_session')) return { kind };
  throw new UnexpectedScriptReply('session-verify-code', reply);
}

/** rate-limit.lua: {allowed (1|0), remaining1, resetMs1, remaining2, resetMs2, ...}, one pair per window. */
export function decodeRateLimit(reply: unknown, windows: number): { allowed: boolean; states: { remaining: number; resetMs: number }[] } {
  if (
    !Array.isArray(reply) ||
    reply.length !== 1 + 2 * windows ||
    !reply.every((v) => typeof v === 'number') ||
    (reply[0] !== 0 && reply[0] !== 1)
  ) {
    throw new UnexpectedScriptReply('rate-limit', reply);
  }
  const n = reply as number[];
  return { allowed: n[0] === 1, states: Array.from({ length: windows }, (_, i) => ({ remaining: n[1 + 2 * i]!, resetMs: n[2 + 2 * i]! })) };
}

const closeReason = (script: string, reply: unknown, s: unknown): LineCloseReason => {
  if (!isOneOf(LINE_CLOSE_REASONS, s)) throw new UnexpectedScriptReply(script, reply);
  return s;
};
const count = (script: string, reply: unknown, s: unknown): number => {
  const n = typeof s === 'number' ? s : typeof s === 'string' && /^[0-9]{1,15}$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new UnexpectedScriptReply(script, reply);
  return n;
};
const rate = (script: string, reply: unknown, s: unknown): number => {
  const n = typeof s === 'string' && /^[0-9]{1,9}$/.test(s) ? Number(s) : NaN;
  if (!(n > 0)) throw new UnexpectedScriptReply(script, reply);
  return n;
};

/** line-place.lua: {"waiting", ahead, rate} | {"admitted", expiresAtMs} | {"closed", reason} | {"absent"} | {"not_open"}. */
export function decodeLinePlace(reply: unknown): LineStanding | { kind: 'not_open' } | { kind: 'stale_proof' } | { kind: 'spent' } {
  const r = strings('line-place', reply, 1);
  if (r[0] === 'waiting' && r.length === 3)
    return { kind: 'waiting', ahead: count('line-place', reply, r[1]), ratePerSecond: rate('line-place', reply, r[2]) };
  if (r[0] === 'admitted' && r.length === 2) return { kind: 'admitted', expiresAt: epochMs('line-place', reply, r[1]!) };
  if (r[0] === 'closed' && r.length === 2) return { kind: 'closed', reason: closeReason('line-place', reply, r[1]) };
  if ((r[0] === 'absent' || r[0] === 'not_open' || r[0] === 'stale_proof' || r[0] === 'spent') && r.length === 1) return { kind: r[0] };
  throw new UnexpectedScriptReply('line-place', reply);
}

/** line-admit.lua: {"closed", reason} | {"idle", why} | {"open", admitted, waiting, admittedNow}. */
export function decodeLineAdmit(reply: unknown): AdmitStep {
  if (!Array.isArray(reply) || reply.length < 2) throw new UnexpectedScriptReply('line-admit', reply);
  const [kind, a, b, c] = reply as unknown[];
  if (kind === 'closed' && reply.length === 2) return { kind, reason: closeReason('line-admit', reply, a) };
  if (kind === 'idle' && reply.length === 2 && (a === 'not_started' || a === 'paused' || a === 'not_loaded')) return { kind, why: a };
  if (kind === 'open' && reply.length === 4) {
    return {
      kind,
      admitted: count('line-admit', reply, a),
      waiting: count('line-admit', reply, b),
      admittedNow: count('line-admit', reply, c),
    };
  }
  throw new UnexpectedScriptReply('line-admit', reply);
}

/** line-watch.lua: {closed reason or "", rate, "w<ahead>" | "a<expiresAtMs>" | "x" per buyer}. */
export function decodeLineWatch(reply: unknown, buyers: number): LineWatch {
  const r = strings('line-watch', reply, 2);
  if (r.length !== 2 + buyers) throw new UnexpectedScriptReply('line-watch', reply);
  const closed = r[0] === '' ? null : closeReason('line-watch', reply, r[0]);
  const ratePerSecond = rate('line-watch', reply, r[1]);
  const standings = r.slice(2).map((s): LineStanding => {
    if (s === 'x') return { kind: 'absent' };
    if (s.startsWith('w')) return { kind: 'waiting', ahead: count('line-watch', reply, s.slice(1)), ratePerSecond };
    if (s.startsWith('a')) return { kind: 'admitted', expiresAt: epochMs('line-watch', reply, s.slice(1)) };
    throw new UnexpectedScriptReply('line-watch', reply);
  });
  return { closed, ratePerSecond, standings };
}

/** line-status.lua: {waiting, admitted, rate, closed reason or "", admittedTotal, "ms,ms,..."}. */
export function decodeLineStatus(reply: unknown): LineStatus {
  if (!Array.isArray(reply) || reply.length !== 6) throw new UnexpectedScriptReply('line-status', reply);
  const [waiting, admitted, r, closed, total, waits] = reply as unknown[];
  if (typeof waits !== 'string' || (waits !== '' && !/^-?[0-9]+(,-?[0-9]+)*$/.test(waits)))
    throw new UnexpectedScriptReply('line-status', reply);
  return {
    waiting: count('line-status', reply, waiting),
    admitted: count('line-status', reply, admitted),
    ratePerSecond: rate('line-status', reply, r),
    closed: closed === '' ? null : closeReason('line-status', reply, closed),
    admittedTotal: count('line-status', reply, total),
    recentWaitsMs: waits === '' ? [] : waits.split(',').map((w) => Math.max(0, Number(w))),
  };
}
