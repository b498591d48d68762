import { Injectable } from '@nestjs/common';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { Lease } from '../shared/lease.port';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from './checkout-attempt-log.port';
import { CheckoutAttemptsSettings } from './checkout-attempts-settings';

const LEASE = 'attempts-writer';

/**
 * Copies logged checkout attempts into PostgreSQL in batches, then drops them from the log. Attempts are
 * dropped only after they are written, and writing is idempotent, so a crash loses or doubles nothing.
 * Every instance runs this, but a lease lets one of them work at a time.
 */
@Injectable()
export class RecordCheckoutAttemptsUseCase {
  constructor(
    private readonly log: CheckoutAttemptLog,
    private readonly attempts: CheckoutAttemptRepository,
    private readonly calendar: SaleCalendar,
    private readonly lease: Lease,
    private readonly settings: CheckoutAttemptsSettings,
  ) {}

  /** One run over every source (each known sale, and the no-sale log); returns how many were written. */
  async runOnce(): Promise<number> {
    if (!(await this.lease.acquire(LEASE, this.settings.leaseMs))) return 0;
    let written = 0;
    for (const source of this.log.sourcesFor(this.calendar.all().map((s) => s.id))) {
      written += await this.execute(source, this.settings.batchSize);
    }
    return written;
  }

  releaseLease(): Promise<void> {
    return this.lease.release(LEASE);
  }

  async execute(source: string, batchSize: number): Promise<number> {
    const batch = await this.log.read(source, batchSize);
    if (batch.entries.length === 0) return 0;
    await this.attempts.saveBatch(batch.entries);
    await this.log.acknowledge(batch);
    return batch.attempts;
  }
}
