import { Injectable } from '@nestjs/common';
import { itemNames } from '../../domain/sale/item-names';
import { MAX_SALE_COUNT, SaleTerms, assertValidTerms, sameTerms } from '../../domain/sale/sale-terms.value-object';
import { SaleWindow } from '../../domain/sale/sale-window.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { SaleRepository } from './sale.repository.port';
import { GetSaleUseCase } from './get-sale.use-case';
import { SaleLoader } from './sale-loader.service';
import { SaleView } from './sale-view';

export interface CreateSaleCommand {
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly itemsTotal: number;
  readonly perUserLimit: number;
  /** Units that may be sold in all; default: every unit of every item. */
  readonly saleCap?: number;
  /** Default 1. */
  readonly unitsPerItem?: number;
  /** Default false. */
  readonly onePurchasePerUser?: boolean;
}

/** The sale asked for; `created` is false when the very same sale (window and terms) was there already. */
export interface CreatedSale {
  readonly sale: SaleView;
  readonly created: boolean;
}

export const MAX_ITEMS_PER_SALE = 1_000_000;
export const MAX_UNITS_PER_ITEM = 1_000_000;

/**
 * An operator's sale, outside the hourly rhythm: created in PostgreSQL with its items and loaded at once. Asking
 * again for the very same sale (same window and terms) answers it, loading it if it is not yet: a retry after
 * an answer that never came, or after a 503 from a store that was away once the sale was written, is safe.
 */
@Injectable()
export class CreateSaleUseCase {
  constructor(
    private readonly sales: SaleRepository,
    private readonly loader: SaleLoader,
    private readonly getSale: GetSaleUseCase,
    private readonly clock: Clock,
  ) {}

  async execute(cmd: CreateSaleCommand): Promise<Result<CreatedSale, Rejection>> {
    if (!(cmd.endsAt.getTime() > cmd.startsAt.getTime()))
      return err(reject(RejectionCode.InvalidRequest, 'The sale must end after it starts.'));
    if (cmd.endsAt.getTime() <= this.clock.now().getTime())
      return err(reject(RejectionCode.InvalidRequest, 'The sale must end in the future.'));
    if (cmd.itemsTotal > MAX_ITEMS_PER_SALE)
      return err(reject(RejectionCode.InvalidRequest, `A sale has at most ${MAX_ITEMS_PER_SALE} items.`));
    const unitsPerItem = cmd.unitsPerItem ?? 1;
    if (unitsPerItem > MAX_UNITS_PER_ITEM)
      return err(reject(RejectionCode.InvalidRequest, `An item has at most ${MAX_UNITS_PER_ITEM} units.`));
    // The default cap is every unit, which must fit the store's counters like any cap.
    if (cmd.saleCap === undefined && cmd.itemsTotal * unitsPerItem > MAX_SALE_COUNT)
      return err(reject(RejectionCode.InvalidRequest, `A sale has at most ${MAX_SALE_COUNT} units in all (items × unitsPerItem).`));
    let terms: SaleTerms;
    try {
      terms = assertValidTerms({
        itemsTotal: cmd.itemsTotal,
        saleCap: cmd.saleCap ?? cmd.itemsTotal * (cmd.unitsPerItem ?? 1),
        perUserLimit: cmd.perUserLimit,
        unitsPerItem: cmd.unitsPerItem ?? 1,
        onePurchasePerUser: cmd.onePurchasePerUser ?? false,
      });
    } catch (e) {
      return err(reject(RejectionCode.InvalidRequest, (e as Error).message));
    }
    const created = await this.sales.createWithItems(SaleWindow.of(cmd.startsAt, cmd.endsAt), terms, itemNames(terms.itemsTotal));
    const repeated = created.kind === 'exists' && sameTerms(created.sale.terms, terms);
    if (created.kind !== 'created' && !repeated) {
      const other = created.kind === 'exists' ? created.sale : created.other;
      return err(
        reject(
          RejectionCode.SaleOverlaps,
          `Sale ${other.id} already runs from ${other.startsAt.toISOString()} to ${other.endsAt.toISOString()}.`,
        ),
      );
    }
    await this.loader.ensureLoaded(created.sale);
    const view = await this.getSale.byId(created.sale.id);
    return view.ok ? ok({ sale: view.value, created: created.kind === 'created' }) : view;
  }
}
