import { Injectable, Logger } from '@nestjs/common';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { Clock } from '../shared/clock.port';
import { Lease } from '../shared/lease.port';
import { LeaseKeeper } from '../shared/lease-keeper';
import { QuietSales } from '../shared/quiet-sales';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from './checkout-attempt-log.port';
import { CheckoutAttemptsSettings } from './checkout-attempts-settings';

const LEASE = 'attempts-writer';

/**
 * Copies logged checkout attempts into PostgreSQL in batches, then drops them from the log. Attempts are
 * dropped only after they are written, and writing is idempotent, so a crash loses or doubles nothing.
 * Every instance runs this, but a lease lets one of them work at a time. A sale not open yet, or ended and
 * read to the end, is read only on a sweep (QuietSales).
 */
@Injectable()
export class RecordCheckoutAttemptsUseCase {
  private readonly lease: LeaseKeeper;
  private readonly logger = new Logger('CheckoutAttempts');
  private readonly quiet = new QuietSales(undefined, undefined, (sale, e, failures) =>
    e === null
      ? this.logger.log(`sale ${sale.id}: storing attempts again after ${failures} failed attempt(s)`)
      : this.logger.warn(`sale ${sale.id}: storing attempts failed (${failures} in a row), retrying it alone: ${(e as Error).message}`),
  );

  constructor(
    private readonly log: CheckoutAttemptLog,
    private readonly attempts: CheckoutAttemptRepository,
    private readonly calendar: SaleCalendar,
    lease: Lease,
    private readonly settings: CheckoutAttemptsSettings,
    private readonly clock: Clock,
  ) {
    this.lease = new LeaseKeeper(lease, LEASE, settings.leaseMs, clock);
  }

  /**
   * One run over every source (the no-sale log, and each known sale but the quiet ones); returns how many
   * were written.
   */
  async runOnce(): Promise<number> {
    if (!(await this.lease.holds())) return 0;
    const now = this.clock.now();
    const withoutSale = await this.execute(this.log.withoutSaleSource(), this.settings.batchSize);
    const ofSales = await this.quiet.readEach(this.calendar.all(), now, (sale) =>
      this.execute(this.log.sourceOf(sale.id), this.settings.batchSize),
    );
    return withoutSale + ofSales;
  }

  releaseLease(): Promise<void> {
    return this.lease.release();
  }

  async execute(source: string, batchSize: number): Promise<number> {
    const batch = await this.log.read(source, batchSize);
    if (batch.entries.length === 0) return 0;
    await this.attempts.saveBatch(batch.entries);
    await this.log.acknowledge(batch);
    return batch.attempts;
  }
}
