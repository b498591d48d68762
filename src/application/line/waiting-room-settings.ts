/** The virtual waiting room (WAITING_ROOM_*); built from configuration (infrastructure/config). */
export class WaitingRoomSettings {
  constructor(
    /** WAITING_ROOM=on: checkout and purchase need an admission. */
    readonly enabled: boolean,
    /** The line opens this long before the sale starts. */
    readonly opensBeforeMs: number,
    /** Admissions per second and sale unless an operator sets the line's own rate. */
    readonly admitPerSecond: number,
    /** How long an admission lasts. */
    readonly admissionMs: number,
    /** Admitted buyers who have not used their limit, at most, per unit still for sale. */
    readonly admittedPerUnit: number,
    /** A waiting buyer unseen this long loses the place. */
    readonly heartbeatMs: number,
    /** HMAC key of the admissions (required when enabled). */
    readonly secret: string,
    /** Hashcash bits asked before joining (0: none). */
    readonly powBits: number,
    /** How long the line's keys stay after the sale ends (the sale's retention). */
    readonly retentionMs: number,
  ) {}
}
