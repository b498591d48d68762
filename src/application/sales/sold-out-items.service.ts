import { Injectable } from '@nestjs/common';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from './sale-calendar.service';

/**
 * Items this instance has been told are sold out, per sale. An item's stock only falls during a sale, so
 * once the ledger has refused an item as sold out, every later checkout of it gets the same answer (see
 * checkoutVerdict): after a sell-out, when nearly every request is such a refusal, this instance gives it
 * without running the checkout script. It learns only from the ledger's own answers, so it can lag behind
 * (the script then answers) but is never ahead of the ledger.
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
}
