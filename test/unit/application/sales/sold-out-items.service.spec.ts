import { SaleCalendar } from '../../../../src/application/sales/sale-calendar.service';
import { SoldOutItems } from '../../../../src/application/sales/sold-out-items.service';
import { ItemSet } from '../../../../src/domain/sale/item-set.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemorySaleRegistry } from '../../../support/doubles/in-memory-sale-registry';
import { HOUR, aSaleOpeningIn, aSaleSettings, anOpenSale, itemOf, itemsOf } from '../../../support/mothers/sale.mother';

describe('SoldOutItems', () => {
  const sale = anOpenSale();
  const next = aSaleOpeningIn(HOUR);
  let calendar: SaleCalendar;
  let soldOut: SoldOutItems;

  beforeEach(() => {
    calendar = new SaleCalendar(new InMemorySaleRegistry(), aSaleSettings(), new FixedClock());
    calendar.remember(sale, ItemSet.of(itemsOf(sale)));
    calendar.remember(next, ItemSet.of(itemsOf(next)));
    soldOut = new SoldOutItems(calendar);
  });

  it('knows only what it was told, per sale', () => {
    soldOut.learn(sale.id, itemOf(sale, 1));

    expect(soldOut.has(sale.id, itemOf(sale, 1))).toBe(true);
    expect(soldOut.has(sale.id, itemOf(sale, 2))).toBe(false);
    expect(soldOut.has(next.id, itemOf(sale, 1))).toBe(false);
  });

  it('forgets an item it is told to', () => {
    soldOut.learn(sale.id, itemOf(sale, 1));
    soldOut.learn(sale.id, itemOf(sale, 2));
    soldOut.forget(sale.id, itemOf(sale, 1));

    expect(soldOut.has(sale.id, itemOf(sale, 1))).toBe(false);
    expect(soldOut.has(sale.id, itemOf(sale, 2))).toBe(true);
  });

  it('knows a sale’s cap was reached only for that sale, until told otherwise', () => {
    soldOut.learnCapReached(sale.id);
    expect([soldOut.capReached(sale.id), soldOut.capReached(next.id)]).toEqual([true, false]);
    expect(soldOut.has(sale.id, itemOf(sale, 1))).toBe(false);

    soldOut.forgetCapReached(sale.id);
    expect(soldOut.capReached(sale.id)).toBe(false);
  });

  it('drops the sales the calendar no longer holds, when it first learns about another sale', async () => {
    const registry = new InMemorySaleRegistry();
    const later = aSaleOpeningIn(2 * HOUR);
    for (const s of [sale, next, later]) await registry.register(s, ItemSet.of(itemsOf(s)));
    const refreshed = new SaleCalendar(registry, aSaleSettings({ retentionMs: 0 }), new FixedClock());
    await refreshed.refresh();
    const hints = new SoldOutItems(refreshed);
    hints.learn(sale.id, itemOf(sale, 1));
    hints.learn(next.id, itemOf(next, 1));
    // The first sale leaves the registry, and this instance's calendar, when it is long over.
    await registry.forgetEndedBefore(new Date(sale.endsAt.getTime() + 1));
    await refreshed.refresh();

    hints.learn(next.id, itemOf(next, 2)); // a sale it tracks already: nothing is dropped
    expect(hints.has(sale.id, itemOf(sale, 1))).toBe(true);

    hints.learn(later.id, itemOf(later, 1));
    expect(hints.has(sale.id, itemOf(sale, 1))).toBe(false);
    expect(hints.has(next.id, itemOf(next, 1))).toBe(true);
    expect(hints.has(later.id, itemOf(later, 1))).toBe(true);
  });
});
