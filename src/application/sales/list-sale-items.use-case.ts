import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { RecentAnswers } from '../shared/recent-answers';
import { SaleReadModel } from './sale-read-model.port';
import { ItemView, SaleRepository } from './sale.repository.port';
import { SaleCalendar } from './sale-calendar.service';

export interface ItemPage {
  /** Shared by every caller while fresh (see `pages`): never changed once built. */
  readonly items: readonly { readonly id: number; readonly name: string; readonly sold: boolean }[];
  readonly nextCursor: string | null;
}

/** A page of a sale's items, in id order; "sold" is live while the sale is in the ledger. */
@Injectable()
export class ListSaleItemsUseCase {
  /** Item rows of recent pages (ids and names never change; the stored sold flag matters once unloaded). */
  private readonly rows = new RecentAnswers<ItemView[]>();
  /**
   * The page last built from a recent answer of the ledger (keyed by that answer, so it goes when the answer
   * does): while neither the rows nor the ledger's answer changed, every caller gets the same page object,
   * which the HTTP door serializes once (see SalesHttpController).
   */
  private readonly pages = new WeakMap<object, { readonly rows: ItemView[]; readonly page: ItemPage }>();

  constructor(
    private readonly calendar: SaleCalendar,
    private readonly ledger: SaleReadModel,
    private readonly sales: SaleRepository,
  ) {}

  /** `maxAgeMs`: how old the page may be (0, the default: read now); see PUBLIC_READ_MAX_AGE_MS. */
  async execute(saleId: SaleId, afterId: ItemId | null, limit: number, maxAgeMs = 0): Promise<Result<ItemPage, Rejection>> {
    if (!this.calendar.find(saleId) && !(await this.sales.findById(saleId))) {
      return err(reject(RejectionCode.SaleNotFound, `There is no sale ${saleId}.`));
    }
    const rows = await this.rows.get(`${saleId}:${afterId}:${limit}`, maxAgeMs, () => this.sales.listItems(saleId, afterId, limit + 1));
    const page = rows.slice(0, limit);
    const left = await this.ledger.unitsLeft(
      saleId,
      page.map((r) => r.id),
      maxAgeMs,
    );
    const built = this.pages.get(left);
    if (built && built.rows === rows) return ok(built.page);
    const result: ItemPage = {
      items: page.map((r, i) => ({ id: r.id, name: r.name, sold: left[i] === null || left[i] === undefined ? r.sold : left[i]! <= 0 })),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
    };
    this.pages.set(left, { rows, page: result });
    return ok(result);
  }
}
