import { CLOCK_MARGIN_MS, SaleCalendar } from '../../../../src/application/sales/sale-calendar.service';
import { ItemSet } from '../../../../src/domain/sale/item-set.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemorySaleRegistry } from '../../../support/doubles/in-memory-sale-registry';
import {
  HOUR,
  MINUTE,
  NOT_AN_ITEM,
  aSale,
  aSaleOpeningIn,
  aSaleSettings,
  aSaleThatEnded,
  anOpenSale,
  itemOf,
  itemsOf,
} from '../../../support/mothers/sale.mother';

describe('SaleCalendar', () => {
  let clock: FixedClock;
  let registry: InMemorySaleRegistry;
  let calendar: SaleCalendar;

  beforeEach(() => {
    clock = new FixedClock();
    registry = new InMemorySaleRegistry();
    calendar = new SaleCalendar(registry, aSaleSettings({ retentionMs: 2 * HOUR }), clock);
  });

  const open = anOpenSale({ durationMs: 30 * MINUTE });
  const next = aSaleOpeningIn(30 * MINUTE);
  const later = aSaleOpeningIn(2 * HOUR);
  const ended = aSaleThatEnded(HOUR);
  const longGone = aSaleThatEnded(3 * HOUR);

  it('knows nothing until refreshed from the registry', async () => {
    await registry.register(open, ItemSet.of(itemsOf(open)));
    expect(calendar.all()).toEqual([]);

    await calendar.refresh();

    expect(calendar.openAt(clock.now())).toBe(open);
  });

  it('keeps the sales open, upcoming, or ended within the retention, by start', async () => {
    for (const s of [later, longGone, next, open, ended]) await registry.register(s, ItemSet.of(itemsOf(s)));
    await calendar.refresh();

    expect(calendar.all()).toEqual([ended, open, next, later]);
  });

  describe('with sales remembered', () => {
    beforeEach(() => {
      for (const s of [later, next, open, ended]) calendar.remember(s, ItemSet.of(itemsOf(s)));
    });

    it('finds the open sale, and none between two sales', () => {
      expect(calendar.openAt(clock.now())).toBe(open);
      expect(calendar.openAt(new Date(later.startsAt.getTime() - 1))).toBeNull();
    });

    it('finds the first sale that starts after an instant', () => {
      expect(calendar.nextAfter(clock.now())).toBe(next);
      expect(calendar.nextAfter(next.startsAt)).toBe(later);
      expect(calendar.nextAfter(later.startsAt)).toBeNull();
    });

    it('tells which not-started sale an item belongs to', () => {
      expect(calendar.notStartedSaleWith(itemOf(later, 3), clock.now())).toBe(later);
      expect(calendar.notStartedSaleWith(itemOf(open, 3), clock.now())).toBeNull();
      expect(calendar.notStartedSaleWith(NOT_AN_ITEM, clock.now())).toBeNull();
      expect(calendar.notStartedSaleWith(itemOf(later, 3), later.startsAt)).toBeNull();
    });

    it('finds a sale by id', () => {
      expect(calendar.find(next.id)).toBe(next);
      expect(calendar.find(999 as SaleId)).toBeNull();
    });

    it('replaces what it knew of a sale it is told again', () => {
      const moved = aSale({ id: next.id, opensInMs: 90 * MINUTE, durationMs: 10 * MINUTE });
      calendar.remember(moved, null);

      expect(calendar.all().filter((s) => s.id === next.id)).toEqual([moved]);
      expect(calendar.all().map((s) => s.id)).toEqual([ended.id, open.id, moved.id, later.id]);
    });
  });

  it('tells the sale of an item near its window: within the margin of its start or its end', () => {
    calendar.remember(next, ItemSet.of(itemsOf(next)));
    const item = itemOf(next, 2);
    const at = (ms: number) => new Date(ms);
    expect(calendar.saleWithItemNear(item, at(next.startsAt.getTime() - CLOCK_MARGIN_MS - 1), CLOCK_MARGIN_MS)).toBeNull();
    expect(calendar.saleWithItemNear(item, at(next.startsAt.getTime() - CLOCK_MARGIN_MS), CLOCK_MARGIN_MS)).toBe(next);
    expect(calendar.saleWithItemNear(item, at(next.endsAt.getTime() + CLOCK_MARGIN_MS - 1), CLOCK_MARGIN_MS)).toBe(next);
    expect(calendar.saleWithItemNear(item, at(next.endsAt.getTime() + CLOCK_MARGIN_MS), CLOCK_MARGIN_MS)).toBeNull();
    expect(calendar.saleWithItemNear(NOT_AN_ITEM, next.startsAt, CLOCK_MARGIN_MS)).toBeNull();
  });

  it('cannot tell the sale of an item from a registry entry written without items', async () => {
    registry.registerWithoutItems(later);
    await calendar.refresh();

    expect(calendar.find(later.id)).toBe(later);
    expect(calendar.notStartedSaleWith(itemOf(later, 1), clock.now())).toBeNull();
  });

  it('keeps a sale it was told of while a refresh was reading the registry, even if the read missed it', async () => {
    await registry.register(next, ItemSet.of(itemsOf(next)));
    // The registry answers as it was when the read began: before the open sale was registered.
    let answer!: () => void;
    const before = await registry.listEndingAfter(new Date(0));
    jest.spyOn(registry, 'listEndingAfter').mockImplementationOnce(() => new Promise((resolve) => (answer = () => resolve(before))));
    const refreshing = calendar.refresh();

    await registry.register(open, ItemSet.of(itemsOf(open)));
    calendar.remember(open, ItemSet.of(itemsOf(open)));
    answer();
    await refreshing;

    expect(calendar.openAt(clock.now())).toBe(open);
    expect(calendar.all()).toEqual([open, next]);
    // The next refresh reads the registry afresh, which has it.
    await calendar.refresh();
    expect(calendar.all()).toEqual([open, next]);
  });
});
