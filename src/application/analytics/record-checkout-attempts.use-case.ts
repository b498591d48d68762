import { Injectable } from '@nestjs/common';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from './checkout-attempt-log.port';

/**
 * Copies logged checkout attempts into PostgreSQL in batches, then drops them from the log. Attempts are
 * dropped only after they are written, and writing is idempotent, so a crash loses or doubles nothing.
 */
@Injectable()
export class RecordCheckoutAttemptsUseCase {
  constructor(
    private readonly log: CheckoutAttemptLog,
    private readonly attempts: CheckoutAttemptRepository,
  ) {}

  async execute(source: string, batchSize: number): Promise<number> {
    const batch = await this.log.read(source, batchSize);
    if (batch.attempts.length === 0) return 0;
    await this.attempts.saveBatch(batch.attempts);
    await this.log.acknowledge(batch);
    return batch.attempts.length;
  }
}
