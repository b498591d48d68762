import { DashboardUseCase } from '../../../../src/application/dashboard/dashboard.use-case';
import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FakeSystemHealth } from '../../../support/doubles/process-doubles';
import { HOUR, MINUTE, NOT_AN_ITEM, SECOND, aSale, aSaleOpeningIn, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('DashboardUseCase', () => {
  let world: World;
  let health: FakeSystemHealth;
  let dashboard: DashboardUseCase;
  let sale: Sale;
  let buyers = 0;

  beforeEach(async () => {
    world = new World();
    health = new FakeSystemHealth();
    const getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
    dashboard = new DashboardUseCase(world.calendar, getSale, world.ledger, world.orders, world.queue, world.outbox, health, world.clock);
    sale = anOpenSale({ items: 100, durationMs: 30 * MINUTE });
    buyers = 0;
  });

  /** `n` buyers each check out and buy one item (2 checkout attempts per buyer with a refusal). */
  async function sell(n: number, refusedToo = false): Promise<void> {
    for (let i = 0; i < n; i++) {
      const user = `buyer-${++buyers}` as UserId;
      const code = `${sale.id}-code${user}xxxxxxxxxxxx` as CheckoutCode;
      await world.ledger.checkout(sale.id, user, itemOf(sale, buyers), code, null);
      if (refusedToo) await world.ledger.checkout(sale.id, user, NOT_AN_ITEM as ItemId, code, null);
      await world.ledger.purchase(sale.id, code, `order-${user}`, null, null);
    }
  }

  it('shows the open sale, the next one and the machinery behind them', async () => {
    const next = aSaleOpeningIn(30 * MINUTE);
    await world.live(sale, next);
    await sell(3, true);
    await world.orders.saveBatch(world.outbox.orders(sale.id).slice(0, 2));
    world.clock.advance(2 * SECOND);
    health.reportNow = { redis: 'up', postgres: 'down', worker: 'up' };

    const snapshot = await dashboard.snapshot();

    expect(snapshot).toEqual({
      at: world.clock.now().toISOString(),
      sale: expect.objectContaining({ id: sale.id, itemsSold: 3 }),
      nextSale: expect.objectContaining({ id: next.id, status: 'scheduled' }),
      itemsRemaining: 97,
      salesPerSecond: 0,
      checkoutsPerSecond: 0,
      purchasesAcknowledged: 3,
      ordersWritten: 2,
      queue: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
      deadLetters: 0,
      outbox: { length: 3, oldestAgeMs: 2_000 },
      rejections: { item_not_found: 3 },
      purchaseFailures: {},
      health: { redis: 'up', postgres: 'down', worker: 'up' },
      line: null,
      saleUnavailable: false,
      unknown: [],
    });
  });

  it('measures sales and checkouts per second over the last seconds, with the clock', async () => {
    await world.live(sale);
    await dashboard.snapshot();
    await sell(10, true); // 10 sales, 20 checkout attempts
    world.clock.advance(2 * SECOND);

    const snapshot = await dashboard.snapshot();

    expect(snapshot.salesPerSecond).toBe(5);
    expect(snapshot.checkoutsPerSecond).toBe(10);
  });

  it('keeps no sample while the checkout figures cannot be read: no rate below zero, no leap when they are back', async () => {
    await world.live(sale);
    await dashboard.snapshot();
    await sell(10, true); // 20 checkout attempts
    world.clock.advance(2 * SECOND);
    expect((await dashboard.snapshot()).checkoutsPerSecond).toBe(10);
    const stats = world.ledger.stats.bind(world.ledger);
    world.ledger.stats = () => Promise.reject(new Error('Redis unreachable'));
    world.clock.advance(2 * SECOND);
    // At t = 4 s, against the sample at t = 2 s (20 attempts): read as 0 attempts, it would be -10 a second.
    const blind = await dashboard.snapshot();
    expect([blind.unknown, blind.checkoutsPerSecond]).toEqual([['stats'], 0]);
    world.ledger.stats = stats;
    world.clock.advance(SECOND);
    await sell(3, true); // 6 more attempts
    // At t = 5 s, against the sample at t = 2 s: 6 attempts in 3 s (a sample of 0 at t = 4 s would make it 6 a second).
    expect((await dashboard.snapshot()).checkoutsPerSecond).toBe(2);
  });

  it('forgets samples older than the rate window, so a burst long ago does not dilute today’s rate', async () => {
    await world.live(sale);
    await dashboard.snapshot(); // t = 0, sold 0
    world.clock.advance(2 * SECOND);
    await sell(4);
    await dashboard.snapshot(); // t = 2 s, sold 4
    world.clock.advance(2 * SECOND);
    await sell(6);

    // At t = 4 s the base is the sample at t = 2 s (the one at 0 is more than 3 s old): 6 sales in 2 s.
    expect((await dashboard.snapshot()).salesPerSecond).toBe(3);
  });

  it('builds at most one snapshot per interval for every watcher', async () => {
    await world.live(sale);
    const first = await dashboard.snapshot();
    await sell(1);
    world.clock.advance(899);

    expect(await dashboard.snapshot()).toBe(first);

    world.clock.advance(1);
    expect((await dashboard.snapshot()).sale?.itemsSold).toBe(1);
  });

  it('starts its rates afresh when the next sale opens, not from the last sale’s count', async () => {
    const first = aSale({ opensInMs: -MINUTE, durationMs: MINUTE + 2 * SECOND, items: 50 });
    const second = aSale({ opensInMs: 2 * SECOND, durationMs: HOUR, items: 50 });
    await world.live(first, second);
    sale = first;
    world.clock.advance(SECOND);
    await sell(20);
    await dashboard.snapshot(); // t = 1 s: the first sale, 20 sold
    world.clock.set(second.startsAt); // t = 2 s: the second sale opens
    sale = second;
    buyers = 0;
    expect((await dashboard.snapshot()).salesPerSecond).toBe(0);
    world.clock.advance(SECOND);
    await sell(2);

    // Within the rate window, but the first sale's samples are not this sale's.
    expect((await dashboard.snapshot()).salesPerSecond).toBe(2);
  });

  it('shows no sale between sales', async () => {
    await world.live(aSaleOpeningIn(HOUR));

    expect(await dashboard.snapshot()).toEqual(
      expect.objectContaining({
        sale: null,
        itemsRemaining: 0,
        purchasesAcknowledged: 0,
        ordersWritten: 0,
        outbox: { length: 0, oldestAgeMs: null },
      }),
    );
  });

  it('still answers when the queue, PostgreSQL or the outbox fail, with empty figures for them', async () => {
    await world.live(sale);
    await sell(1);
    world.queue.goDown();
    world.orders.goDown();
    world.outbox.goDown();

    expect(await dashboard.snapshot()).toEqual(
      expect.objectContaining({
        sale: expect.objectContaining({ itemsSold: 1 }),
        queue: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
        ordersWritten: 0,
        outbox: { length: 0, oldestAgeMs: null },
        // Named, so that the page shows them as unknown and not as a reassuring zero.
        unknown: ['orders', 'outbox', 'queue'],
      }),
    );
  });

  it('still answers when the sale cannot be read (Redis down): no sale figures, marked unavailable, health kept', async () => {
    await world.live(sale, aSaleOpeningIn(HOUR));
    world.ledger.liveState = () => Promise.reject(new Error('Redis unreachable'));
    health.reportNow = { redis: 'down', postgres: 'up', worker: 'down' };

    expect(await dashboard.snapshot()).toEqual(
      expect.objectContaining({
        sale: null,
        nextSale: null,
        saleUnavailable: true,
        health: { redis: 'down', postgres: 'up', worker: 'down' },
      }),
    );
  });

  it('does not wait for a figure that never comes (BullMQ waits for Redis for ever): the snapshot still comes', async () => {
    await world.live(sale);
    world.queue.counts = () => new Promise(() => undefined);

    expect(await dashboard.snapshot()).toEqual(
      expect.objectContaining({ queue: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 } }),
    );
  });

  it('does not keep a failed snapshot: the next call tries again', async () => {
    await world.live(sale);
    const report = health.report.bind(health);
    health.report = () => Promise.reject(new Error('health check crashed'));
    await expect(dashboard.snapshot()).rejects.toThrow('health check crashed');

    health.report = report;
    expect(await dashboard.snapshot()).toEqual(expect.objectContaining({ sale: expect.objectContaining({ id: sale.id }) }));
  });

  it('counts dead letters from the queue', async () => {
    await world.live(sale);
    await sell(1);
    world.queue.addDeadLetter(world.outbox.orders(sale.id)[0]!, 'bad');

    expect((await dashboard.snapshot()).deadLetters).toBe(1);
  });
});
