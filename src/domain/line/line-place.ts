import { SaleId } from '../sale/sale-id.value-object';
import { UserId } from '../user/user-id.value-object';

/**
 * A buyer's place in a sale's waiting line, as the buyer sees it. Positions count from 1; `ahead` is how
 * many wait before the buyer. Everyone who joins before the sale starts is ordered by a lottery (a random
 * key drawn at joining, so arriving a minute or a second early is the same); later arrivals queue behind
 * them in arrival order.
 */
export type LineCloseReason = 'sold_out' | 'ended' | 'closed';
export const LINE_CLOSE_REASONS: readonly LineCloseReason[] = ['sold_out', 'ended', 'closed'];

export type LinePlace =
  | { readonly status: 'waiting'; readonly position: number; readonly ahead: number; readonly etaSeconds: number }
  | { readonly status: 'admitted'; readonly position: 0; readonly ahead: 0; readonly etaSeconds: 0; readonly expiresAt: Date }
  | { readonly status: 'closed'; readonly position: 0; readonly ahead: 0; readonly etaSeconds: 0; readonly reason: LineCloseReason };

/** The ledger's view of one buyer in a line: how many wait before them, or admitted until, or closed. */
export type LineStanding =
  | { readonly kind: 'waiting'; readonly ahead: number; readonly ratePerSecond: number }
  | { readonly kind: 'admitted'; readonly expiresAt: Date }
  | { readonly kind: 'closed'; readonly reason: LineCloseReason }
  | { readonly kind: 'absent' };

/** Seconds until a buyer with `ahead` people before them is admitted at `ratePerSecond` (at least 1 while waiting). */
export function etaSeconds(ahead: number, ratePerSecond: number): number {
  return Math.max(1, Math.ceil((ahead + 1) / Math.max(ratePerSecond, 1e-9)));
}

export function placeOf(standing: Exclude<LineStanding, { kind: 'absent' }>): LinePlace {
  switch (standing.kind) {
    case 'waiting':
      return {
        status: 'waiting',
        position: standing.ahead + 1,
        ahead: standing.ahead,
        etaSeconds: etaSeconds(standing.ahead, standing.ratePerSecond),
      };
    case 'admitted':
      return { status: 'admitted', position: 0, ahead: 0, etaSeconds: 0, expiresAt: standing.expiresAt };
    case 'closed':
      return { status: 'closed', position: 0, ahead: 0, etaSeconds: 0, reason: standing.reason };
  }
}

/**
 * How many more buyers may be admitted now: never more admitted buyers who have not used their limit yet
 * than `perUnit` times the units still for sale, rounded down, but room for one while a unit is left (below
 * one per unit a floor of zero would stall the line with units unsold). scripts/lua/line-admit.lua applies
 * the same rule.
 */
export function admissionRoom(unitsLeft: number, perUnit: number, admittedNow: number): number {
  const left = Math.max(0, unitsLeft);
  const allowed = left > 0 ? Math.max(1, Math.floor(left * perUnit + 1e-9)) : 0;
  return Math.max(0, allowed - admittedNow);
}

/** When a sale's line opens: `opensBeforeMs` before the sale starts. */
export function lineOpensAt(startsAt: Date, opensBeforeMs: number): Date {
  return new Date(startsAt.getTime() - opensBeforeMs);
}

/** What an admission is about: this buyer may check out and buy in this sale until `expiresAt`. */
export interface AdmissionClaim {
  readonly saleId: SaleId;
  readonly userId: UserId;
  readonly expiresAt: Date;
}
