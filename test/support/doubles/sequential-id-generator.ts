import { IdGenerator } from '../../../src/application/shared/id-generator.port';

/** Predictable identifiers in the formats the real generator promises (tokens of 16+ URL-safe characters). */
export class SequentialIdGenerator implements IdGenerator {
  private n = 0;
  /** One-time codes handed out next, in order; after them, 100001, 100002, ... */
  private readonly codes: string[] = [];

  checkoutToken(): string {
    return `token${this.next().padStart(16, '0')}`;
  }

  orderId(): string {
    return `order-${this.next()}`;
  }

  userId(): string {
    return `user-${this.next()}`;
  }

  sessionToken(): string {
    return `session-${this.next().padStart(16, '0')}`;
  }

  oneTimeCode(): string {
    return this.codes.shift() ?? String(100_000 + Number(this.next()));
  }

  /** Spread over [0, 1) by the golden ratio: distinct, predictable. */
  lotteryKey(): string {
    return String((Number(this.next()) * 0.6180339887) % 1);
  }

  /** The next one-time codes to hand out. */
  willSendCodes(...codes: string[]): void {
    this.codes.push(...codes);
  }

  private next(): string {
    return String(++this.n);
  }
}
