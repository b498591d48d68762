import { Injectable } from '@nestjs/common';
import { Clock } from '../shared/clock.port';
import { SaleRepository } from './sale.repository.port';
import { SaleLoader } from './sale-loader.service';

/** More sales than this to come at once: the earliest are kept, the rest on a later run once these end. */
export const KEPT_SALES_PER_RUN = 100;

/**
 * Every sale that has not ended is loaded into the ledger and in the registry, whoever created it and with
 * the scheduler on or off. Redis may lose a sale's registry entry or its loaded keys (a failover to a replica
 * that had not yet received the write made when the sale was loaded): this puts them back from PostgreSQL
 * within a run, where before an operator's sale stayed unknown (`no_active_sale`) until someone loaded it
 * again. Loading never overwrites what the ledger holds, so a run that finds everything in place writes
 * nothing.
 */
@Injectable()
export class KeepSalesLoadedUseCase {
  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<void> {
    for (const sale of await this.sales.listNotEndedAt(this.clock.now(), KEPT_SALES_PER_RUN)) await this.loader.ensureLoaded(sale);
  }
}
