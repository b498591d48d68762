import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Injectable, Logger } from '@nestjs/common';
import { itemNames } from '../../domain/sale/item-names';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Clock } from '../shared/clock.port';
import { SaleRegistry } from './sale-registry.port';
import { SaleRepository } from './sale.repository.port';
import { SaleLoader } from './sale-loader.service';
import { SaleSettings } from './sale-settings';

/**
 * The scheduler's step: the current and the next recurring sale exist in PostgreSQL and are loaded into the
 * ledger before they start. Idempotent and safe to run on every instance at once: PostgreSQL decides which
 * sale exists for a window, and loading never overwrites what the ledger already holds.
 */
@Injectable()
export class EnsureUpcomingSalesUseCase {
  private readonly logger = new Logger('Scheduler');
  /** Sales kept past their retention that this process has reported. */
  private readonly reportedHeld = new Set<SaleId>();

  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly registry: SaleRegistry,
    private readonly settings: SaleSettings,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<Sale[]> {
    const now = this.clock.now();
    const current = SaleWindow.periodic(now, this.settings.periodMs);
    const ensured: Sale[] = [];
    for (const window of [current, current.next()]) {
      const created = await this.sales.createWithItems(window, this.settings.terms, itemNames(this.settings.terms.itemsTotal));
      // A sale created by an operator may cover the window: then that one is the sale to have loaded.
      const sale = created.kind === 'overlaps' ? created.other : created.sale;
      if (created.kind === 'created') this.logger.log(`created sale ${sale.id} for ${window.startsAt.toISOString()}`);
      // An operator's sale that ended within this window is not loaded again (as the keeper loads only sales
      // not ended): once its keys had expired, each run would read all its items back and register it anew,
      // only for the forgetting below to drop it again.
      if (sale.window.phaseAt(now) === 'ended') continue;
      await this.loader.ensureLoaded(sale);
      ensured.push(sale);
    }
    for (const held of await this.registry.forgetEndedBefore(new Date(now.getTime() - this.settings.retentionMs))) {
      // Once per sale and process, not on every run (every 5 s on every instance).
      if (this.reportedHeld.has(held.saleId)) continue;
      this.reportedHeld.add(held.saleId);
      // Only after PostgreSQL or the worker was away for longer than the retention: the relay and the reconciler
      // read a sale only within it, so these entries are kept but no longer moved. Loud, for an operator.
      this.logger.error(
        `sale ${held.saleId} is past its retention with ${held.orders} order(s) and ${held.attempts} attempt(s) not in PostgreSQL; they are kept in its outbox and attempts streams, but no longer relayed`,
      );
    }
    return ensured;
  }
}
