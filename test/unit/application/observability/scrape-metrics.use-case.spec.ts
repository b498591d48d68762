import { SaleEventHub } from '../../../../src/application/events/sale-event-hub.service';
import { ScrapeMetricsUseCase } from '../../../../src/application/observability/scrape-metrics.use-case';
import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, SECOND, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('ScrapeMetricsUseCase', () => {
  let world: World;
  let hub: SaleEventHub;
  let scrape: ScrapeMetricsUseCase;

  beforeEach(() => {
    world = new World();
    hub = new SaleEventHub(world.calendar, world.sales, world.ledger, world.events, world.clock);
    const getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
    scrape = new ScrapeMetricsUseCase(world.metrics, getSale, world.queue, world.outbox, hub);
  });

  afterEach(() => hub.closeAll());

  it('sets the gauges of the open sale, the queue and the event streams, then renders', async () => {
    const sale = anOpenSale({ items: 5 });
    await world.live(sale, aSaleOpeningIn(HOUR), aSaleThatEnded(HOUR));
    const code = `${sale.id}-alicescodexxxxxxxx` as CheckoutCode;
    await world.ledger.checkout(sale.id, 'alice' as UserId, itemOf(sale, 1), code, null);
    await world.ledger.purchase(sale.id, code, 'order-1', null, null);
    world.clock.advance(3 * SECOND); // the order has waited 3 s in the outbox
    await world.queue.enqueue('a', [anOrder(sale)]);
    await hub.watch(sale.id, () => ({ send: () => undefined, close: () => undefined }));

    const rendered = await scrape.execute();

    expect(world.metrics.saleGauges).toEqual([{ saleId: sale.id, itemsSold: 1, itemsRemaining: 4, outboxEntries: 1, outboxLagSeconds: 3 }]);
    expect(world.metrics.queueGauges).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 });
    expect(world.metrics.eventStreams).toBe(1);
    expect(rendered).toEqual({ contentType: expect.stringContaining('text/plain'), body: expect.any(String) });
  });

  it('clears the sale gauges when no sale is open', async () => {
    await world.live(aSaleOpeningIn(HOUR));

    await scrape.execute();

    expect(world.metrics.saleGauges).toEqual([]);
  });

  it('still renders when a dependency fails: the gauges keep their last values', async () => {
    await world.live(anOpenSale());
    await scrape.execute();
    const before = world.metrics.saleGauges;
    world.outbox.goDown();

    expect(await scrape.execute()).toEqual(expect.objectContaining({ body: expect.any(String) }));
    expect(world.metrics.saleGauges).toBe(before);
    expect(world.metrics.renders).toBe(2);
  });

  it('still renders, within about two seconds, when a dependency hangs', async () => {
    jest.useFakeTimers();
    try {
      world.queue.stall();
      let done = false;
      const scraped = scrape.execute().then((r) => ((done = true), r));

      await jest.advanceTimersByTimeAsync(1_999);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);

      expect(await scraped).toEqual(expect.objectContaining({ body: expect.any(String) }));
      expect(world.metrics.queueGauges).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });
});
