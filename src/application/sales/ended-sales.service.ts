import { Injectable, Logger } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Clock } from '../shared/clock.port';
import { SaleRegistry } from './sale-registry.port';
import { SaleSettings } from './sale-settings';

/**
 * Forgets the sales that ended longer ago than the retention: their registry entries, and what they left in
 * Redis with no expiry of its own. Run by the scheduler and by the keeper alike, so a fleet of operators'
 * sales with the scheduler off forgets them too.
 */
@Injectable()
export class EndedSales {
  private readonly logger = new Logger('Sales');
  /** Sales kept past their retention that this process has reported. */
  private readonly reportedHeld = new Set<SaleId>();

  constructor(
    private readonly registry: SaleRegistry,
    private readonly settings: SaleSettings,
    private readonly clock: Clock,
  ) {}

  async forgetPastRetention(): Promise<void> {
    const before = new Date(this.clock.now().getTime() - this.settings.retentionMs);
    for (const held of await this.registry.forgetEndedBefore(before)) {
      // Once per sale and process, not on every run (every 5 s on every instance).
      if (this.reportedHeld.has(held.saleId)) continue;
      this.reportedHeld.add(held.saleId);
      // Only after PostgreSQL or the worker was away for longer than the retention: the relay and the reconciler
      // read a sale only within it, so these entries are kept but no longer moved. Loud, for an operator.
      this.logger.error(
        `sale ${held.saleId} is past its retention with ${held.orders} order(s) and ${held.attempts} attempt(s) not in PostgreSQL; they are kept in its outbox and attempts streams, but no longer relayed`,
      );
    }
  }
}
