import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from './sale-calendar.service';

/**
 * Items this instance has been told are sold out, and sales it has been told have reached their cap. An
 * item's stock only falls and a sale's tally only grows during a sale, so once the ledger has refused an
 * item (or the sale) as sold out, later checkouts of it almost surely get the same answer (see
 * checkoutVerdict): after a sell-out, when nearly every request is such a refusal, the checkout use case
 * asks the ledger for its cheap batched confirmation (CheckoutLedger.refuseSoldOut) instead of a full checkout.
 * It is a hint, never the answer: it learns only from the ledger's answers, and what the ledger no longer
 * calls sold out (stock rebuilt after Redis lost data) is forgotten.
 */
@Injectable()
export class SoldOutItems {
  private readonly bySale = new Map<SaleId, { readonly items: Set<ItemId>; capReached: boolean }>();

  constructor(private readonly calendar: SaleCalendar) {}

  has(saleId: SaleId, itemId: ItemId): boolean {
    return this.bySale.get(saleId)?.items.has(itemId) ?? false;
  }

  /** The sale has been refused as sale_sold_out (its cap reached), and nothing since said otherwise. */
  capReached(saleId: SaleId): boolean {
    return this.bySale.get(saleId)?.capReached ?? false;
  }

  learn(saleId: SaleId, itemId: ItemId): void {
    this.of(saleId).items.add(itemId);
  }

  learnCapReached(saleId: SaleId): void {
    this.of(saleId).capReached = true;
  }

  forget(saleId: SaleId, itemId: ItemId): void {
    this.bySale.get(saleId)?.items.delete(itemId);
  }

  forgetCapReached(saleId: SaleId): void {
    const known = this.bySale.get(saleId);
    if (known) known.capReached = false;
  }

  private of(saleId: SaleId): { readonly items: Set<ItemId>; capReached: boolean } {
    let known = this.bySale.get(saleId);
    if (!known) {
      // A new sale: forget the sales the calendar no longer holds (long over), so memory stays bounded.
      for (const id of this.bySale.keys()) if (!this.calendar.find(id)) this.bySale.delete(id);
      known = { items: new Set(), capReached: false };
      this.bySale.set(saleId, known);
    }
    return known;
  }
}
