import { Clock } from '../../../src/application/shared/clock.port';

/** A clock that stands still until a test moves it. */
export class FixedClock implements Clock {
  private ms: number;

  constructor(at: Date | string = '2030-06-01T12:00:00.000Z') {
    this.ms = new Date(at).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
