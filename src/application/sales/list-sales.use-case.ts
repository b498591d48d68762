import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { OrderRepository } from '../order-pipeline/order.repository.port';
import { PurchaseOutbox } from '../order-pipeline/purchase-outbox.port';
import { SaleReadModel, SaleStats } from './sale-read-model.port';
import { SaleRepository } from './sale.repository.port';
import { GetSaleUseCase } from './get-sale.use-case';
import { SaleView } from './sale-view';

export interface SaleReport {
  readonly sale: SaleView;
  /** Ledger counters while the sale is loaded, null afterwards. */
  readonly stats: SaleStats | null;
  readonly ordersWritten: number;
  /** Acknowledged purchases not yet moved to the order queue. */
  readonly outboxLength: number;
}

/** Sales for operators: the recent ones, and one in detail. */
@Injectable()
export class ListSalesUseCase {
  constructor(
    private readonly sales: SaleRepository,
    private readonly getSale: GetSaleUseCase,
    private readonly ledger: SaleReadModel,
    private readonly orders: OrderRepository,
    private readonly outbox: PurchaseOutbox,
  ) {}

  async recent(limit = 20): Promise<SaleView[]> {
    const sales = await this.sales.listRecent(limit);
    const views: SaleView[] = [];
    for (const sale of sales) {
      const view = await this.getSale.byId(sale.id);
      if (view.ok) views.push(view.value);
    }
    return views;
  }

  async report(id: SaleId): Promise<Result<SaleReport, Rejection>> {
    const view = await this.getSale.byId(id);
    if (!view.ok)
      return err(view.error.code === RejectionCode.SaleNotFound ? view.error : reject(RejectionCode.SaleNotFound, view.error.detail));
    const loaded = await this.ledger.isLoaded(id);
    const [stats, ordersWritten, outboxLength] = await Promise.all([
      loaded ? this.ledger.stats(id) : Promise.resolve(null),
      this.orders.countForSale(id),
      this.outbox.length(id),
    ]);
    return ok({ sale: view.value, stats, ordersWritten, outboxLength });
  }
}
