import { Injectable, Logger } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Clock } from '../shared/clock.port';
import { SalePauseSwitch } from './sale-pause-switch.port';
import { SaleReadModel } from './sale-read-model.port';
import { SaleRepository } from './sale.repository.port';
import { EndedSales } from './ended-sales.service';
import { SaleLoader } from './sale-loader.service';

/** More sales than this to come at once: the earliest are kept, the rest on a later run once these end. */
export const KEPT_SALES_PER_RUN = 100;

/**
 * Every sale that has not ended is loaded into the ledger and in the registry, whoever created it and with
 * the scheduler on or off. Redis may lose a sale's registry entry or its loaded keys (a failover to a replica
 * that had not yet received the write made when the sale was loaded): this puts them back from PostgreSQL
 * (a lost registry entry once this instance's calendar has seen it missing, within a second), where before
 * an operator's sale stayed unknown (`no_active_sale`) until someone loaded it again. Loading never
 * overwrites what the ledger holds, so a run that finds everything in place writes nothing. One sale that
 * fails does not keep the others from being put back; the run then fails with its error.
 *
 * A pause Redis lost while the sale's keys survived (the switch is not confirmed on a replica, so a failover
 * can drop it) is put back too, from the pause PostgreSQL records. Only towards paused: the ledger is read
 * first and PostgreSQL after, and operators write PostgreSQL first, so what PostgreSQL answers is at least as
 * new as what the ledger did; and the pause is made only if the sale was not switched since the ledger was read
 * (a pause and resume in between would leave PostgreSQL's answer behind). A resume is never made here (one
 * left half done stays paused until asked again).
 */
@Injectable()
export class KeepSalesLoadedUseCase {
  private readonly logger = new Logger('SaleKeeper');

  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly ledger: SaleReadModel,
    private readonly pauseSwitch: SalePauseSwitch,
    private readonly clock: Clock,
    private readonly endedSales: EndedSales,
  ) {}

  async execute(): Promise<void> {
    let failed: Error | null = null;
    const sales = await this.sales.listNotEndedAt(this.clock.now(), KEPT_SALES_PER_RUN);
    for (const sale of sales) {
      await this.loader.ensureLoaded(sale).catch((e: Error) => {
        if (failed) this.logger.warn(`sale ${sale.id}: ${e.message}`);
        failed ??= new Error(`sale ${sale.id}: ${e.message}`);
      });
    }
    await this.pauseWhatRedisLost(sales.map((s) => s.id));
    // Here too, not only in the scheduler: with the scheduler off, nothing else forgets ended sales.
    await this.endedSales.forgetPastRetention();
    if (failed) throw failed;
  }

  private async pauseWhatRedisLost(saleIds: readonly SaleId[]): Promise<void> {
    const live = await Promise.all(saleIds.map((id) => this.ledger.liveState(id)));
    const seen = new Map<SaleId, number>();
    saleIds.forEach((id, i) => {
      if (live[i] && !live[i].paused) seen.set(id, live[i].switches ?? 0);
    });
    if (seen.size === 0) return;
    for (const id of await this.sales.pausedAmong([...seen.keys()])) {
      // Only if nobody switched the sale since the ledger was read: an operator's pause and resume between the
      // two reads leaves PostgreSQL's answer older than the ledger's state, and must not be undone here.
      if ((await this.pauseSwitch.pauseUnlessSwitched(id, seen.get(id)!)) === 'paused')
        this.logger.warn(`sale ${id}: paused in PostgreSQL but not in Redis (a lost write): paused again`);
    }
  }
}
