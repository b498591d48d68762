import { Injectable, Logger } from '@nestjs/common';
import { itemNames } from '../../domain/sale/item-names';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Clock } from '../shared/clock.port';
import { EndedSales } from './ended-sales.service';
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

  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly endedSales: EndedSales,
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
    await this.endedSales.forgetPastRetention();
    return ensured;
  }
}
