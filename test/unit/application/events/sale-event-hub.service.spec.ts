import {
  LINE_EVENT_INTERVAL_MS,
  LINE_EVENT_WRITES_PER_SECOND,
  SaleEvent,
  SaleEventHub,
  SaleWatcher,
  STOCK_EVENT_INTERVAL_MS,
  STOCK_EVENT_WRITES_PER_SECOND,
} from '../../../../src/application/events/sale-event-hub.service';
import { WaitingLine } from '../../../../src/application/line/waiting-line.port';
import { WaitingRoomSettings } from '../../../../src/application/line/waiting-room-settings';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { MINUTE, SECOND, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

/** A buyer's page: what it received, and whether the hub closed it. */
class Page implements SaleWatcher {
  readonly events: SaleEvent[] = [];
  closed = false;

  send(event: SaleEvent): void {
    this.events.push(event);
  }

  close(): void {
    this.closed = true;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

describe('SaleEventHub', () => {
  let world: World;
  let hub: SaleEventHub;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-06-01T12:00:00.000Z') });
    world = new World();
    hub = new SaleEventHub(world.calendar, world.sales, world.ledger, world.events, world.clock);
  });

  afterEach(async () => {
    await hub.closeAll();
    jest.useRealTimers();
  });

  /** Time passes for the hub's timers and for the application's clock alike. */
  async function wait(ms: number): Promise<void> {
    world.clock.advance(ms);
    await jest.advanceTimersByTimeAsync(ms);
  }

  async function watch(sale: Sale | SaleId): Promise<{ page: Page; stop: () => void }> {
    const page = new Page();
    const result = await hub.watch(typeof sale === 'number' ? sale : sale.id, () => page);
    if (!result.ok) throw new Error(result.error.code);
    return { page, stop: result.value };
  }

  /** A hub with the waiting room on, whose line answers reads of places with `watch`. */
  function hubWithLine(watch: WaitingLine['watch']): SaleEventHub {
    const room = new WaitingRoomSettings(true, MINUTE, 10, MINUTE, 1, MINUTE, 'secret', 0, MINUTE);
    const line = { watch } as unknown as WaitingLine;
    return new SaleEventHub(world.calendar, world.sales, world.ledger, world.events, world.clock, line, room);
  }

  const sold = (sale: Sale, unitsSold: number, ...soldOut: ItemId[]) => world.events.publish(sale.id, { kind: 'sold', unitsSold, soldOut });

  it('sends a snapshot first', async () => {
    const sale = anOpenSale({ items: 10 });
    await world.live(sale);
    await world.ledger.setPaused(sale.id, true);

    const { page } = await watch(sale);

    expect(page.events).toEqual([
      {
        type: 'snapshot',
        data: {
          saleId: sale.id,
          status: 'paused',
          itemsSold: 0,
          remaining: 10,
          startsAt: sale.startsAt.toISOString(),
          endsAt: sale.endsAt.toISOString(),
        },
      },
    ]);
  });

  it('answers an unknown sale as sale_not_found without opening a stream', async () => {
    const open = jest.fn(() => new Page());

    expect(await hub.watch(404 as SaleId, open)).toEqual({ ok: false, error: { code: 'sale_not_found', detail: 'There is no sale 404.' } });
    expect(open).not.toHaveBeenCalled();
    expect(world.events.subscriptions.size).toBe(0);
  });

  it('finds a sale the calendar does not hold in the database; one not in the ledger starts from nothing sold', async () => {
    const old = aSaleThatEnded(3 * 24 * 60 * MINUTE);
    world.stored(old);

    const { page } = await watch(old);

    expect(page.events[0]).toEqual({ type: 'snapshot', data: expect.objectContaining({ status: 'ended', itemsSold: 0 }) });
  });

  it('subscribes to the ledger’s feed once per sale, whatever the number of pages', async () => {
    const sale = anOpenSale();
    await world.live(sale);

    await watch(sale);
    await watch(sale);
    await watch(sale);

    expect(world.events.subscriptions.get(sale.id)).toBe(1);
    expect(hub.watcherCount()).toBe(3);
  });

  it('after a failed subscription, the next page subscribes again and gets live events', async () => {
    const sale = anOpenSale({ items: 4 });
    await world.live(sale);
    const subscribe = world.events.subscribe.bind(world.events);
    world.events.subscribe = () => Promise.reject(new Error('Redis unreachable'));
    await expect(hub.watch(sale.id, () => new Page())).rejects.toThrow('Redis unreachable');

    world.events.subscribe = subscribe;
    const { page } = await watch(sale);
    sold(sale, 1, itemOf(sale, 1));
    await wait(STOCK_EVENT_INTERVAL_MS);
    expect(page.types()).toEqual(['snapshot', 'stock']);
  });

  it('lets go of a subscription nobody watches when the first page cannot read the sale', async () => {
    const sale = anOpenSale({ items: 4 });
    await world.live(sale);
    const liveState = world.ledger.liveState.bind(world.ledger);
    world.ledger.liveState = () => Promise.reject(new Error('Redis unreachable'));
    await expect(hub.watch(sale.id, () => new Page())).rejects.toThrow('Redis unreachable');

    expect(world.events.listenerCount(sale.id)).toBe(0);
    world.ledger.liveState = liveState;
    await watch(sale);
    expect(world.events.listenerCount(sale.id)).toBe(1);
  });

  it('keeps the channel of a page still joining when another page fails to join it', async () => {
    const sale = anOpenSale({ items: 4 });
    await world.live(sale);
    const liveState = world.ledger.liveState.bind(world.ledger);
    // The first page's read of the sale is slow; the second page's fails while the first still waits.
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    world.ledger.liveState = async (id) => {
      if (++reads === 1) {
        await slow;
        return liveState(id);
      }
      throw new Error('Redis unreachable');
    };
    const first = new Page();
    const joining = hub.watch(sale.id, () => first);
    await expect(hub.watch(sale.id, () => new Page())).rejects.toThrow('Redis unreachable');
    release();
    expect((await joining).ok).toBe(true);

    expect(world.events.listenerCount(sale.id)).toBe(1);
    sold(sale, 1, itemOf(sale, 1));
    await wait(STOCK_EVENT_INTERVAL_MS);
    expect(first.types()).toEqual(['snapshot', 'stock']);
  });

  describe('stock', () => {
    let sale: Sale;
    let page: Page;

    beforeEach(async () => {
      sale = anOpenSale({ items: 4 });
      await world.live(sale);
      ({ page } = await watch(sale));
    });

    it('coalesces a burst of purchases into one stock event per interval, with every item that sold out', async () => {
      sold(sale, 1, itemOf(sale, 1));
      sold(sale, 2);
      sold(sale, 3, itemOf(sale, 3));
      expect(page.types()).toEqual(['snapshot']);

      await wait(STOCK_EVENT_INTERVAL_MS);

      expect(page.events.slice(1)).toEqual([
        { type: 'stock', data: { saleId: sale.id, itemsSold: 3, remaining: 1, soldOut: [itemOf(sale, 1), itemOf(sale, 3)] } },
      ]);
    });

    it('sends nothing while nothing sells', async () => {
      await wait(10 * STOCK_EVENT_INTERVAL_MS);

      expect(page.types()).toEqual(['snapshot']);
    });

    it('never shows the count going back when events arrive out of order', async () => {
      sold(sale, 3);
      sold(sale, 2);
      await wait(STOCK_EVENT_INTERVAL_MS);

      expect(page.events[1]).toEqual({ type: 'stock', data: expect.objectContaining({ itemsSold: 3 }) });
    });

    it('announces the sell-out once, after the stock event that empties the sale', async () => {
      sold(sale, 4, itemOf(sale, 4));
      await wait(STOCK_EVENT_INTERVAL_MS);
      sold(sale, 4);
      await wait(STOCK_EVENT_INTERVAL_MS);

      expect(page.types()).toEqual(['snapshot', 'stock', 'sale_sold_out', 'stock']);
      expect(page.events[2]).toEqual({ type: 'sale_sold_out', data: { saleId: sale.id, itemsSold: 4 } });
    });

    it('spaces stock events out when so many pages are open that every interval would pass the write budget', async () => {
      // Four times the pages the budget allows at one event per interval: one event every fourth interval.
      const pages = (4 * STOCK_EVENT_WRITES_PER_SECOND * STOCK_EVENT_INTERVAL_MS) / 1_000;
      for (let i = 1; i < pages; i++) await watch(sale);
      const seen = () => page.types().filter((t) => t === 'stock').length;
      sold(sale, 1);
      await wait(STOCK_EVENT_INTERVAL_MS);
      expect(seen()).toBe(1);

      for (let i = 0; i < 3; i++) {
        sold(sale, 2 + i);
        await wait(STOCK_EVENT_INTERVAL_MS);
      }
      // The sale sold out in the third interval: that is told at once, not held back for the fourth.
      expect(seen()).toBe(2);
      expect(page.events.at(-2)).toEqual({ type: 'stock', data: expect.objectContaining({ itemsSold: 4, remaining: 0 }) });
      expect(page.types().at(-1)).toBe('sale_sold_out');
    });

    it('stays within the write budget with more pages than one interval allows but fewer than two', async () => {
      const perInterval = (STOCK_EVENT_WRITES_PER_SECOND * STOCK_EVENT_INTERVAL_MS) / 1_000;
      for (let i = 1; i < perInterval * 1.5; i++) await watch(sale);
      const seen = () => page.types().filter((t) => t === 'stock').length;
      for (let i = 1; i <= 4; i++) {
        sold(sale, 1); // a change in every interval (the sale never sells out here)
        await wait(STOCK_EVENT_INTERVAL_MS);
      }
      // Every other interval: 1.5 intervals' worth of pages in each would be 1.5 times the budget.
      expect(seen()).toBe(2);
    });

    it('spaces them by the pages open on the instance, and sends every interval again once they close', async () => {
      const pages = (2 * STOCK_EVENT_WRITES_PER_SECOND * STOCK_EVENT_INTERVAL_MS) / 1_000;
      const others = await Promise.all(Array.from({ length: pages }, () => watch(sale)));
      const seen = () => page.types().filter((t) => t === 'stock').length;
      for (let i = 1; i <= 2; i++) {
        sold(sale, i);
        await wait(STOCK_EVENT_INTERVAL_MS);
      }
      expect(seen()).toBe(1);

      for (const o of others) o.stop();
      sold(sale, 3);
      await wait(STOCK_EVENT_INTERVAL_MS);
      expect(seen()).toBe(2);
    });

    it('passes pauses and resumes on at once', async () => {
      await world.ledger.setPaused(sale.id, true);
      await world.ledger.setPaused(sale.id, false);

      expect(page.events.slice(1)).toEqual([
        { type: 'paused', data: { saleId: sale.id } },
        { type: 'resumed', data: { saleId: sale.id } },
      ]);
    });

    it('takes purchases made through the ledger', async () => {
      const code = `${sale.id}-alicescodexxxxxxxx` as CheckoutCode;
      await world.ledger.checkout(sale.id, 'alice' as UserId, itemOf(sale, 2), code, null);
      await world.ledger.purchase(sale.id, code, 'order-1', null, null);
      await wait(STOCK_EVENT_INTERVAL_MS);

      expect(page.events[1]).toEqual({ type: 'stock', data: { saleId: sale.id, itemsSold: 1, remaining: 3, soldOut: [itemOf(sale, 2)] } });
    });
  });

  it('announces when a scheduled sale starts and when it ends, timed from its window', async () => {
    const sale = aSaleOpeningIn(10 * SECOND, { durationMs: MINUTE });
    await world.live(sale);
    const { page } = await watch(sale);

    await wait(10 * SECOND - 1);
    expect(page.types()).toEqual(['snapshot']);
    await wait(1);
    expect(page.types()).toEqual(['snapshot', 'started']);
    await wait(MINUTE);
    expect(page.events.slice(1)).toEqual([
      { type: 'started', data: { saleId: sale.id } },
      { type: 'ended', data: { saleId: sale.id } },
    ]);
  });

  it('does not announce a start that is past', async () => {
    const sale = anOpenSale({ durationMs: 2 * MINUTE });
    await world.live(sale);
    const { page } = await watch(sale);

    await wait(2 * MINUTE);

    expect(page.types()).toEqual(['snapshot', 'ended']);
  });

  describe('watchers leaving', () => {
    let sale: Sale;

    beforeEach(async () => {
      sale = anOpenSale({ items: 4 });
      await world.live(sale);
    });

    it('stops sending to a page that left', async () => {
      const { page, stop } = await watch(sale);
      const other = await watch(sale);
      stop();
      sold(sale, 1);
      await wait(STOCK_EVENT_INTERVAL_MS);

      expect(page.types()).toEqual(['snapshot']);
      expect(other.page.types()).toEqual(['snapshot', 'stock']);
      expect(hub.watcherCount()).toBe(1);
    });

    it('lets go of the feed when the last page leaves, and subscribes again for the next', async () => {
      const { stop } = await watch(sale);
      stop();
      await jest.advanceTimersByTimeAsync(0);

      expect(world.events.listenerCount(sale.id)).toBe(0);

      await watch(sale);
      expect(world.events.subscriptions.get(sale.id)).toBe(2);
      expect(world.events.listenerCount(sale.id)).toBe(1);
    });

    it('drops a page that cannot be written to, and goes on with the others', async () => {
      const broken = new Page();
      broken.send = (e) => {
        if (e.type !== 'snapshot') throw new Error('socket closed');
      };
      await hub.watch(sale.id, () => broken);
      const { page } = await watch(sale);
      await world.ledger.setPaused(sale.id, true);
      await world.ledger.setPaused(sale.id, false);

      expect(hub.watcherCount()).toBe(1);
      expect(page.types()).toEqual(['snapshot', 'paused', 'resumed']);
    });

    it('closes every stream on shutdown and lets go of the feed', async () => {
      const a = await watch(sale);
      const b = await watch(sale);

      await hub.closeAll();

      expect([a.page.closed, b.page.closed]).toEqual([true, true]);
      expect(world.events.listenerCount(sale.id)).toBe(0);
      expect(hub.watcherCount()).toBe(0);
    });
  });

  it('reaches thousands of pages, a slice at a time', async () => {
    jest.useRealTimers(); // fake timers do not run an immediate scheduled by an immediate in one turn
    const sale = anOpenSale();
    await world.live(sale);
    const pages = await Promise.all(Array.from({ length: 450 }, () => watch(sale)));

    await world.ledger.setPaused(sale.id, true);
    const reached = () => pages.filter(({ page }) => page.types().includes('paused')).length;
    // The first slice at once; the rest after turns of the event loop, so requests are served in between.
    const atOnce = reached();
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));

    expect(atOnce).toBeGreaterThan(0);
    expect(atOnce).toBeLessThan(450);
    expect(reached()).toBe(450);
  });

  it('tells thousands of waiting buyers their places a slice at a time too', async () => {
    jest.useRealTimers();
    // Every buyer asked about waits, the n-th asked with n - 1 ahead.
    const lineHub = hubWithLine(async (_sale, userIds) => ({
      closed: null,
      ratePerSecond: 10,
      standings: userIds.map((_, i) => ({ kind: 'waiting' as const, ahead: i, ratePerSecond: 10 })),
    }));
    const sale = anOpenSale();
    await world.live(sale);
    let told = 0;
    let toldAtOnce = 0;
    const pages = Array.from({ length: 450 }, () => new Page());
    for (const [i, page] of pages.entries()) {
      page.send = (e) => {
        page.events.push(e);
        // Counted when the turn that told the first buyer is over.
        if (e.type === 'line' && told++ === 0) setImmediate(() => (toldAtOnce = told));
      };
      await lineHub.watch(sale.id, () => page, `buyer-${i}` as UserId);
    }

    await new Promise((resolve) => setTimeout(resolve, LINE_EVENT_INTERVAL_MS + 200));
    await lineHub.closeAll();

    expect(toldAtOnce).toBeGreaterThan(0);
    expect(toldAtOnce).toBeLessThan(450);
    expect(pages.map((p) => p.events.find((e) => e.type === 'line')?.data)).toEqual(
      pages.map((_, i) => ({ saleId: sale.id, position: i + 1, ahead: i, etaSeconds: Math.ceil((i + 1) / 10) })),
    );
  });

  it('tells moved places in turns past the write budget, and admissions at once', async () => {
    jest.useRealTimers();
    const count = (2 * LINE_EVENT_WRITES_PER_SECOND * LINE_EVENT_INTERVAL_MS) / 1_000;
    const budget = count / 2;
    const lastBuyer = `buyer-${count - 1}`;
    let open = false; // nobody has a place until every page is watching
    let reads = 0;
    const lineHub = hubWithLine(async (_sale, userIds) => {
      if (open) reads++;
      return {
        closed: null,
        ratePerSecond: 10,
        // Everyone moves up one place per read; the last buyer is admitted.
        standings: userIds.map((u, i) =>
          !open
            ? { kind: 'absent' as const }
            : u === lastBuyer
              ? { kind: 'admitted' as const, expiresAt: new Date('2030-06-01T12:05:00.000Z') }
              : { kind: 'waiting' as const, ahead: i + 100 - reads, ratePerSecond: 10 },
        ),
      };
    });
    const sale = anOpenSale();
    await world.live(sale);
    const pages = Array.from({ length: count }, () => new Page());
    for (const [i, page] of pages.entries()) await lineHub.watch(sale.id, () => page, `buyer-${i}` as UserId);
    const told = () => pages.filter((p) => p.types().includes('line')).length;
    const lineEvents = () => pages.reduce((n, p) => n + p.types().filter((t) => t === 'line').length, 0);
    const afterRead = async (n: number) => {
      while (reads < n) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 200)); // the slices
    };

    open = true;
    await afterRead(1);
    const first = { told: told(), admitted: pages.at(-1)!.types() };
    await afterRead(2);
    await lineHub.closeAll();

    expect(first.told).toBe(budget);
    // The admission is not one of the first read's turn, and still not held back.
    expect(first.admitted).toEqual(['snapshot', 'admitted']);
    expect(told()).toBe(count - 1);
    expect(lineEvents()).toBe(2 * budget);
  }, 20_000);
});
