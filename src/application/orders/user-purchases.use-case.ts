import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { UserId } from '../../domain/user/user-id.value-object';
import { OrderRepository } from '../order-pipeline/order.repository.port';
import { SaleReadModel } from '../sales/sale-read-model.port';
import { SaleRepository } from '../sales/sale.repository.port';
import { SaleCalendar } from '../sales/sale-calendar.service';

export interface UserPurchases {
  readonly saleId: number;
  readonly userId: string;
  /** Units the ledger says the user bought (what the limit counts); null once the sale left the ledger. */
  readonly unitsBought: number | null;
  readonly perUserLimit: number;
  /** Orders written to PostgreSQL. */
  readonly orders: { orderId: string; itemIds: number[]; purchasedAt: string }[];
  /** Units bought but not yet in a written order (on their way through the queue). */
  readonly unitsPending: number;
}

/** What one user bought in a sale, from both sides: the ledger's count and the written orders. */
@Injectable()
export class UserPurchasesUseCase {
  constructor(
    private readonly calendar: SaleCalendar,
    private readonly sales: SaleRepository,
    private readonly ledger: SaleReadModel,
    private readonly orders: OrderRepository,
  ) {}

  async execute(saleId: SaleId, userId: UserId): Promise<Result<UserPurchases, Rejection>> {
    const sale = this.calendar.find(saleId) ?? (await this.sales.findById(saleId));
    if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${saleId}.`));
    const [unitsBought, orders] = await Promise.all([
      this.ledger.isLoaded(saleId).then((loaded) => (loaded ? this.ledger.unitsBoughtBy(saleId, userId) : null)),
      this.orders.forUser(saleId, userId),
    ]);
    const written = orders.reduce((n, o) => n + o.itemIds.length, 0);
    return ok({
      saleId,
      userId,
      unitsBought,
      perUserLimit: sale.terms.perUserLimit,
      orders: orders.map((o) => ({ ...o, purchasedAt: o.purchasedAt.toISOString() })),
      unitsPending: unitsBought === null ? 0 : Math.max(0, unitsBought - written),
    });
  }
}
