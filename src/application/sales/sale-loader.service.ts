import { Injectable, Logger } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { ItemSet } from '../../domain/sale/item-set.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { SaleLedgerLoader } from './sale-ledger-loader.port';
import { SaleReadModel } from './sale-read-model.port';
import { SaleRegistry } from './sale-registry.port';
import { SaleRepository } from './sale.repository.port';
import { SaleCalendar } from './sale-calendar.service';

/**
 * Makes a sale that exists in PostgreSQL live: loads it into the ledger unless it is there (what written
 * orders already sold stays sold), then makes it visible to every instance.
 */
@Injectable()
export class SaleLoader {
  private readonly logger = new Logger('SaleLoader');

  constructor(
    private readonly sales: SaleRepository,
    private readonly ledger: SaleReadModel,
    private readonly ledgerLoader: SaleLedgerLoader,
    private readonly registry: SaleRegistry,
    private readonly calendar: SaleCalendar,
  ) {}

  async ensureLoaded(sale: Sale): Promise<void> {
    let itemIds: ItemId[] | null = null;
    if (!(await this.ledger.isLoaded(sale.id))) {
      const started = Date.now();
      const { items, buyers, sold, paused } = await this.sales.stockForLoad(sale.id);
      if (await this.ledgerLoader.load(sale, items, buyers, sold, paused)) {
        this.logger.log(`loaded sale ${sale.id}: ${items.length} items in ${Date.now() - started} ms`);
      }
      itemIds = items.map((i) => i.id);
    }
    // Registered once (the scheduler calls this every few seconds): when just loaded, or when this instance
    // has not seen it in the registry.
    if (itemIds === null && this.calendar.find(sale.id)) return;
    const items = ItemSet.of(itemIds ?? (await this.sales.itemIds(sale.id)));
    await this.registry.register(sale, items);
    this.calendar.remember(sale, items);
  }
}
