import { EndedSales } from '../../../../src/application/sales/ended-sales.service';
import { EnsureUpcomingSalesUseCase } from '../../../../src/application/sales/ensure-upcoming-sales.use-case';
import { SaleSettings } from '../../../../src/application/sales/sale-settings';
import { itemName } from '../../../../src/domain/sale/item-names';
import { SaleWindow } from '../../../../src/domain/sale/sale-window.value-object';
import { HOUR, aSale, aSaleSettings, aSaleTerms } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('EnsureUpcomingSalesUseCase', () => {
  const settings: SaleSettings = aSaleSettings({
    periodMs: HOUR,
    terms: { itemsTotal: 4, saleCap: 3, perUserLimit: 2 },
    retentionMs: 6 * HOUR,
  });
  let world: World;
  let ensure: EnsureUpcomingSalesUseCase;

  beforeEach(() => {
    // 12:20 UTC: the current sale runs 12:00-13:00, the next 13:00-14:00.
    world = new World({ now: new Date('2030-06-01T12:20:00.000Z'), settings });
    ensure = new EnsureUpcomingSalesUseCase(
      world.sales,
      world.loader,
      new EndedSales(world.registry, settings, world.clock),
      settings,
      world.clock,
    );
  });

  it('creates the current and the next hourly sale with the configured terms and named items', async () => {
    const sales = await ensure.execute();

    expect(sales.map((s) => [s.startsAt.toISOString(), s.endsAt.toISOString()])).toEqual([
      ['2030-06-01T12:00:00.000Z', '2030-06-01T13:00:00.000Z'],
      ['2030-06-01T13:00:00.000Z', '2030-06-01T14:00:00.000Z'],
    ]);
    expect(sales.map((s) => s.terms)).toEqual([settings.terms, settings.terms]);
    expect((await world.sales.listItems(sales[0]!.id, null, 10)).map((i) => i.name)).toEqual([0, 1, 2, 3].map(itemName));
  });

  it('loads both into the ledger and the calendar', async () => {
    const [current, next] = await ensure.execute();

    expect(await world.ledger.isLoaded(current!.id)).toBe(true);
    expect(await world.ledger.isLoaded(next!.id)).toBe(true);
    expect(world.calendar.openAt(world.clock.now())?.id).toBe(current!.id);
    expect(world.calendar.nextAfter(world.clock.now())?.id).toBe(next!.id);
  });

  it('is idempotent: a second run (or another instance) finds the same sales and loads nothing again', async () => {
    const first = await ensure.execute();
    const loads = world.ledger.calls.load;
    const registrations = world.registry.registrations;

    const second = await ensure.execute();

    expect(second.map((s) => s.id)).toEqual(first.map((s) => s.id));
    expect(await world.sales.listRecent(10)).toHaveLength(2);
    expect(world.ledger.calls.load).toBe(loads);
    expect(world.registry.registrations).toBe(registrations);
  });

  it('moves on with time: an hour later the next sale is the current one', async () => {
    const [, next] = await ensure.execute();
    world.clock.advance(HOUR);

    const [current, after] = await ensure.execute();

    expect(current!.id).toBe(next!.id);
    expect(after!.startsAt.toISOString()).toBe('2030-06-01T14:00:00.000Z');
  });

  it('loads an operator’s sale that covers the window instead of creating one', async () => {
    const operators = await world.sales.createWithItems(
      SaleWindow.of(new Date('2030-06-01T13:30:00.000Z'), new Date('2030-06-01T15:00:00.000Z')),
      aSaleTerms({ itemsTotal: 2, saleCap: 2 }),
      ['a', 'b'],
    );
    if (operators.kind !== 'created') throw new Error('setup');

    const [current, next] = await ensure.execute();

    expect(next).toBe(operators.sale);
    expect(await world.ledger.isLoaded(operators.sale.id)).toBe(true);
    expect(current!.startsAt.toISOString()).toBe('2030-06-01T12:00:00.000Z');
    expect(await world.sales.listRecent(10)).toHaveLength(2);
  });

  it('does not load again an operator’s sale that covers the window but has ended', async () => {
    // 12:00-12:10, ended before this run at 12:20: its keys may be gone past a short retention.
    const operators = await world.sales.createWithItems(
      SaleWindow.of(new Date('2030-06-01T12:00:00.000Z'), new Date('2030-06-01T12:10:00.000Z')),
      aSaleTerms({ itemsTotal: 2, saleCap: 2 }),
      ['a', 'b'],
    );
    if (operators.kind !== 'created') throw new Error('setup');

    const sales = await ensure.execute();

    expect(sales.map((s) => s.startsAt.toISOString())).toEqual(['2030-06-01T13:00:00.000Z']);
    expect(await world.ledger.isLoaded(operators.sale.id)).toBe(false);
    expect(world.registry.has(operators.sale.id)).toBe(false);
  });

  it('drops from the registry the sales that ended longer ago than the retention', async () => {
    const long = aSale({ now: world.clock.now(), opensInMs: -8 * HOUR, durationMs: HOUR }); // ended 7 h ago
    const recent = aSale({ now: world.clock.now(), opensInMs: -3 * HOUR, durationMs: HOUR }); // ended 2 h ago
    await world.live(long, recent);

    await ensure.execute();

    expect(world.registry.has(long.id)).toBe(false);
    expect(world.registry.has(recent.id)).toBe(true);
  });

  it('works with short test periods too', async () => {
    const fast = aSaleSettings({ periodMs: 10_000, terms: { itemsTotal: 1, saleCap: 1, perUserLimit: 1 } });
    const w = new World({ now: new Date('2030-06-01T12:20:05.000Z'), settings: fast });
    const sales = await new EnsureUpcomingSalesUseCase(
      w.sales,
      w.loader,
      new EndedSales(w.registry, fast, w.clock),
      fast,
      w.clock,
    ).execute();

    expect(sales.map((s) => s.startsAt.toISOString())).toEqual(['2030-06-01T12:20:00.000Z', '2030-06-01T12:20:10.000Z']);
    expect(sales[1]!.endsAt.getTime() - sales[1]!.startsAt.getTime()).toBe(10 * 1000);
  });
});
