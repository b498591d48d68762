import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from './sale-calendar.service';

/**
 * Items this instance has been told are sold out, per sale. An item's stock only falls during a sale, so
 * once the ledger has refused an item as sold out, later checkouts of it get the same answer (see
 * checkoutVerdict): after a sell-out, when nearly every request is such a refusal, the checkout use case
 * asks the ledger for its cheap batched confirmation (CheckoutLedger.refuseSoldOut) instead of a full checkout.
 * It is a hint, never the answer: it learns only from the ledger's answers, and an item the ledger no longer
 * calls sold out (stock rebuilt after Redis lost data) is forgotten.
 */
@Injectable()
export class SoldOutItems {
  private readonly bySale = new Map<SaleId, Set<ItemId>>();

  constructor(private readonly calendar: SaleCalendar) {}

  has(saleId: SaleId, itemId: ItemId): boolean {
    return this.bySale.get(saleId)?.has(itemId) ?? false;
  }

  learn(saleId: SaleId, itemId: ItemId): void {
    let items = this.bySale.get(saleId);
    if (!items) {
      // A new sale: forget the sales the calendar no longer holds (long over), so memory stays bounded.
      for (const known of this.bySale.keys()) if (!this.calendar.find(known)) this.bySale.delete(known);
      items = new Set();
      this.bySale.set(saleId, items);
    }
    items.add(itemId);
  }

  forget(saleId: SaleId, itemId: ItemId): void {
    this.bySale.get(saleId)?.delete(itemId);
  }
}
