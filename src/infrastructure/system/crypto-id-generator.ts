import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IdGenerator } from '../../application/shared/id-generator.port';

const POOL_BYTES = 16 * 1024;

@Injectable()
export class CryptoIdGenerator extends IdGenerator {
  // Checkout tokens are drawn on every checkout, refusals included: slicing a pre-filled buffer costs a
  // fraction of a randomBytes call each time.
  private pool = randomBytes(POOL_BYTES);
  private offset = 0;

  /** 128 random bits, base64url: unguessable, and safe in a query string. */
  checkoutToken(): string {
    if (this.offset + 16 > POOL_BYTES) {
      this.pool = randomBytes(POOL_BYTES);
      this.offset = 0;
    }
    const token = this.pool.toString('base64url', this.offset, this.offset + 16);
    this.offset += 16;
    return token;
  }

  orderId(): string {
    return randomUUID();
  }

  userId(): string {
    return `u-${randomBytes(12).toString('base64url')}`;
  }

  sessionToken(): string {
    return randomBytes(32).toString('base64url');
  }

  oneTimeCode(): string {
    return String(randomInt(0, 1_000_000)).padStart(6, '0');
  }

  /** 48 random bits: ties between 1,000s of early joiners are practically impossible (and broken by id). */
  lotteryKey(): string {
    return String(randomInt(0, 2 ** 48 - 1) / 2 ** 48);
  }
}
