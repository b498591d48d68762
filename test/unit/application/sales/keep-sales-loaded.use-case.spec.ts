import { EndedSales } from '../../../../src/application/sales/ended-sales.service';
import { KEPT_SALES_PER_RUN, KeepSalesLoadedUseCase } from '../../../../src/application/sales/keep-sales-loaded.use-case';
import { HOUR, MINUTE, aSale } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('KeepSalesLoadedUseCase', () => {
  let world: World;
  let keep: KeepSalesLoadedUseCase;

  beforeEach(() => {
    world = new World();
    keep = new KeepSalesLoadedUseCase(
      world.sales,
      world.loader,
      world.ledger,
      world.ledger,
      world.clock,
      new EndedSales(world.registry, world.settings, world.clock),
    );
  });

  it('registers again a sale whose registry entry Redis lost, once the calendar has seen it missing', async () => {
    const sale = aSale();
    await world.live(sale);
    world.registry.lose(sale.id);
    await world.calendar.refresh();
    expect(world.calendar.openAt(world.clock.now())).toBeNull();

    await keep.execute();

    expect(world.registry.has(sale.id)).toBe(true);
    expect(world.calendar.openAt(world.clock.now())?.id).toBe(sale.id);
    await world.calendar.refresh();
    expect(world.calendar.openAt(world.clock.now())?.id).toBe(sale.id);
  });

  it('forgets the sales that ended longer ago than the retention, so a fleet with the scheduler off does too', async () => {
    const long = aSale({ now: world.clock.now(), opensInMs: -26 * HOUR, durationMs: HOUR }); // ended 25 h ago
    const recent = aSale({ now: world.clock.now(), opensInMs: -3 * HOUR, durationMs: HOUR }); // ended 2 h ago
    await world.live(long, recent);

    await keep.execute();

    expect(world.registry.has(long.id)).toBe(false);
    expect(world.registry.has(recent.id)).toBe(true);
  });

  it('loads again a sale whose keys Redis lost, open or to come', async () => {
    const open = aSale();
    const later = aSale({ opensInMs: 2 * HOUR });
    await world.live(open, later);
    world.ledger.forget(open.id);
    world.ledger.forget(later.id);

    await keep.execute();

    expect(await world.ledger.isLoaded(open.id)).toBe(true);
    expect(await world.ledger.isLoaded(later.id)).toBe(true);
  });

  it('writes nothing when every sale is in place, and leaves ended sales alone', async () => {
    const ended = aSale({ opensInMs: -2 * HOUR, durationMs: HOUR });
    world.stored(ended);
    await world.live(aSale({ opensInMs: -MINUTE }), aSale({ opensInMs: HOUR }));
    const loads = world.ledger.calls.load;
    const registrations = world.registry.registrations;

    await keep.execute();

    expect(world.ledger.calls.load).toBe(loads);
    expect(world.registry.registrations).toBe(registrations);
    expect(await world.ledger.isLoaded(ended.id)).toBe(false);
    expect(world.registry.has(ended.id)).toBe(false);
  });

  it('pauses again a sale whose pause Redis lost while its keys survived, from the pause PostgreSQL records', async () => {
    const sale = aSale();
    await world.live(sale);
    await world.sales.setPaused(sale.id, true);

    await keep.execute();

    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: true });
  });

  it('does not undo an operator who paused and resumed between its two reads', async () => {
    const sale = aSale();
    await world.live(sale);
    // The keeper has read the ledger (running); an operator pauses (PostgreSQL, then Redis), the keeper reads
    // PostgreSQL (paused), and the operator resumes before the keeper acts on that answer.
    const pausedAmong = world.sales.pausedAmong.bind(world.sales);
    jest.spyOn(world.sales, 'pausedAmong').mockImplementation(async (ids) => {
      await world.sales.setPaused(sale.id, true);
      await world.ledger.setPaused(sale.id, true);
      const answer = await pausedAmong(ids);
      await world.sales.setPaused(sale.id, false);
      await world.ledger.setPaused(sale.id, false);
      return answer;
    });

    await keep.execute();

    expect(await world.ledger.liveState(sale.id)).toMatchObject({ paused: false });
  });

  it('never resumes a sale: one paused in Redis alone (a resume half done) stays paused', async () => {
    const sale = aSale();
    await world.live(sale);
    await world.ledger.setPaused(sale.id, true);
    const switches = world.ledger.calls.setPaused;

    await keep.execute();

    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: true });
    expect(world.ledger.calls.setPaused).toBe(switches);
  });

  it('puts back every other sale when one fails, then fails the run with its error', async () => {
    const [first, second] = [aSale(), aSale({ opensInMs: HOUR })];
    world.stored(first, second);
    const stockForLoad = world.sales.stockForLoad.bind(world.sales);
    world.sales.stockForLoad = async (id) => {
      if (id === first.id) throw new Error('statement timeout');
      return stockForLoad(id);
    };

    await expect(keep.execute()).rejects.toThrow(`sale ${first.id}: statement timeout`);

    expect(await world.ledger.isLoaded(first.id)).toBe(false);
    expect(await world.ledger.isLoaded(second.id)).toBe(true);
  });

  it(`keeps the ${KEPT_SALES_PER_RUN} earliest sales to come in one run`, async () => {
    const sales = Array.from({ length: KEPT_SALES_PER_RUN + 1 }, (_, i) => aSale({ opensInMs: (i + 1) * HOUR }));
    world.stored(...sales);

    await keep.execute();

    for (const sale of sales.slice(0, KEPT_SALES_PER_RUN)) expect(await world.ledger.isLoaded(sale.id)).toBe(true);
    expect(await world.ledger.isLoaded(sales[KEPT_SALES_PER_RUN]!.id)).toBe(false);
  });
});
