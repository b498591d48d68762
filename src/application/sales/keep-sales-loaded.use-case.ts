import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../shared/clock.port';
import { SaleRepository } from './sale.repository.port';
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
 */
@Injectable()
export class KeepSalesLoadedUseCase {
  private readonly logger = new Logger('SaleKeeper');

  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<void> {
    let failed: Error | null = null;
    for (const sale of await this.sales.listNotEndedAt(this.clock.now(), KEPT_SALES_PER_RUN)) {
      await this.loader.ensureLoaded(sale).catch((e: Error) => {
        if (failed) this.logger.warn(`sale ${sale.id}: ${e.message}`);
        failed ??= new Error(`sale ${sale.id}: ${e.message}`);
      });
    }
    if (failed) throw failed;
  }
}
