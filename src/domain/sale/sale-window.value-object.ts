import { InvariantViolation } from '../shared/rejection';

/** A half-open time range [startsAt, endsAt) in which a sale accepts checkouts and purchases. */
export class SaleWindow {
  private constructor(
    readonly startsAt: Date,
    readonly endsAt: Date,
  ) {}

  static of(startsAt: Date, endsAt: Date): SaleWindow {
    if (!(endsAt.getTime() > startsAt.getTime())) {
      throw new InvariantViolation(`a sale must end after it starts (${startsAt.toISOString()} .. ${endsAt.toISOString()})`);
    }
    return new SaleWindow(new Date(startsAt.getTime()), new Date(endsAt.getTime()));
  }

  /**
   * The periodic window containing `at`. Windows are aligned to the Unix epoch, so a period of 3600 s gives
   * sales that start at the top of every UTC hour; tests use periods of a few seconds.
   */
  static periodic(at: Date, periodMs: number): SaleWindow {
    if (!Number.isSafeInteger(periodMs) || periodMs < 1000) throw new InvariantViolation(`period must be >= 1000 ms, got ${periodMs}`);
    const start = Math.floor(at.getTime() / periodMs) * periodMs;
    return new SaleWindow(new Date(start), new Date(start + periodMs));
  }

  next(): SaleWindow {
    const length = this.endsAt.getTime() - this.startsAt.getTime();
    return new SaleWindow(this.endsAt, new Date(this.endsAt.getTime() + length));
  }

  phaseAt(at: Date): 'scheduled' | 'open' | 'ended' {
    const t = at.getTime();
    if (t < this.startsAt.getTime()) return 'scheduled';
    return t < this.endsAt.getTime() ? 'open' : 'ended';
  }

  /** Whole seconds until the window opens, at least 1 (for Retry-After). */
  secondsUntilStart(at: Date): number {
    return Math.max(1, Math.ceil((this.startsAt.getTime() - at.getTime()) / 1000));
  }
}
