import { LineCloseReason, LineStanding } from '../../domain/line/line-place';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

/** The sale's timing and size as the line needs them, and when its keys may go. */
export interface LineSale {
  readonly id: SaleId;
  readonly opensAt: Date;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly unitsOnSale: number;
  readonly expireAt: Date;
}

export type AdmitStep =
  | { readonly kind: 'closed'; readonly reason: LineCloseReason }
  | { readonly kind: 'idle'; readonly why: 'not_started' | 'paused' | 'not_loaded' }
  | { readonly kind: 'open'; readonly admitted: number; readonly waiting: number; readonly admittedNow: number };

export interface LineStatus {
  readonly waiting: number;
  readonly admitted: number;
  readonly ratePerSecond: number;
  readonly closed: LineCloseReason | null;
  readonly admittedTotal: number;
  /** The latest waits from joining to admission (ms), up to 1,000. */
  readonly recentWaitsMs: readonly number[];
}

export interface LineWatch {
  readonly closed: LineCloseReason | null;
  readonly ratePerSecond: number;
  /** One per buyer asked about, in order. */
  readonly standings: readonly LineStanding[];
}

/** Settings the ledger needs on each step (from WaitingRoomSettings). */
export interface AdmitPolicy {
  readonly defaultRate: number;
  readonly admittedPerUnit: number;
  readonly admissionMs: number;
  readonly heartbeatMs: number;
}

/** A sale's waiting line, kept atomically beside the sale's stock (scripts/lua/line-*.lua). */
export abstract class WaitingLine {
  /**
   * Joins (one place per buyer: again answers the same place) or only reads (and counts as a heartbeat).
   * 'not_open' before the line opens. With `placesTaken`, a join that would take a new place does so only if
   * the buyer has taken exactly that many places in this line so far ('stale_proof' otherwise: the proof of
   * work was made for another count). 'spent' for a buyer without a place or admission who has used their
   * limit in the sale: such a buyer gets no place.
   */
  abstract place(
    sale: LineSale,
    userId: string,
    mode: 'join' | 'read',
    lotteryKey: string,
    defaultRate: number,
    placesTaken?: number,
  ): Promise<LineStanding | { kind: 'not_open' } | { kind: 'stale_proof' } | { kind: 'spent' }>;
  /** How many places the buyer has taken in the sale's line so far (what its proof of work names). */
  abstract placesTaken(sale: LineSale, userId: string): Promise<number>;
  /** One admission step (safe from every instance at once). */
  abstract admit(sale: LineSale, policy: AdmitPolicy): Promise<AdmitStep>;
  /** Closes the line and tells every instance; false when it was closed already. */
  abstract close(sale: LineSale, reason: LineCloseReason): Promise<boolean>;
  /** The standings of several buyers at once (an open event stream is a heartbeat). */
  abstract watch(saleId: SaleId, userIds: readonly string[], defaultRate: number): Promise<LineWatch>;
  /** The operator's view; with `newRate`, sets the line's rate first. */
  abstract status(sale: LineSale, defaultRate: number, newRate?: number): Promise<LineStatus>;
}

/** The line's view of a sale. */
export function lineSaleOf(sale: Sale, opensBeforeMs: number, retentionMs: number): LineSale {
  return {
    id: sale.id,
    opensAt: new Date(sale.startsAt.getTime() - opensBeforeMs),
    startsAt: sale.startsAt,
    endsAt: sale.endsAt,
    unitsOnSale: sale.unitsOnSale,
    expireAt: new Date(sale.endsAt.getTime() + retentionMs),
  };
}
