import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, MINUTE, SECOND, aSale, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('GetSaleUseCase', () => {
  let world: World;
  let getSale: GetSaleUseCase;

  beforeEach(() => {
    world = new World();
    getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
  });

  async function buy(sale: Sale, user: string, n: number): Promise<void> {
    const code = `${sale.id}-code${user}${n}xxxxxxxxxxxx` as CheckoutCode;
    await world.ledger.checkout(sale.id, user as UserId, itemOf(sale, n), code, null);
    await world.ledger.purchase(sale.id, code, `order-${user}-${n}`, null, null);
  }

  it("hands out the same view while the ledger's answer is the same one, and a new one once it or the status changes", async () => {
    const sale = anOpenSale({ items: 10, durationMs: 10 * MINUTE });
    await world.live(sale);
    // The Redis read model hands out one answer object for as long as it keeps it (PUBLIC_READ_MAX_AGE_MS).
    const kept = { sold: 3, paused: false };
    const liveState = jest.spyOn(world.ledger, 'liveState').mockResolvedValue(kept);

    const first = await getSale.active(100);
    const again = await getSale.byId(sale.id, 100);
    expect(first.ok && again.ok && again.value === first.value).toBe(true);

    liveState.mockResolvedValue({ sold: 4, paused: false });
    const later = await getSale.active(100);
    expect(later.ok && later.value.itemsSold).toBe(4);
    expect(first.ok && first.value.itemsSold).toBe(3);

    // The same answer, but the sale has ended meanwhile: its status follows the clock, not the kept view.
    liveState.mockResolvedValue(kept);
    world.clock.advance(10 * MINUTE);
    const ended = await getSale.byId(sale.id, 100);
    expect(ended.ok && ended.value.status).toBe('ended');
    expect(first.ok && first.value.status).toBe('active');
  });

  describe('active()', () => {
    it('shows the open sale with its live counters', async () => {
      const sale = anOpenSale({ items: 10, saleCap: 6, perUserLimit: 2, onePurchasePerUser: true });
      await world.live(sale);
      await buy(sale, 'alice', 1);
      await buy(sale, 'bob', 2);

      expect(await getSale.active()).toEqual({
        ok: true,
        value: {
          id: sale.id,
          startsAt: sale.startsAt.toISOString(),
          endsAt: sale.endsAt.toISOString(),
          status: 'active',
          itemsTotal: 10,
          itemsSold: 2,
          // The cap, not the items, limits what is left.
          itemsRemaining: 4,
          perUserLimit: 2,
          saleCap: 6,
          onePurchasePerUser: true,
        },
      });
    });

    it('shows a sale sold out once the units on sale are gone', async () => {
      const sale = anOpenSale({ items: 2 });
      await world.live(sale);
      await buy(sale, 'alice', 1);
      await buy(sale, 'bob', 2);

      expect(await getSale.active()).toEqual({ ok: true, value: expect.objectContaining({ status: 'sold_out', itemsRemaining: 0 }) });
    });

    it('answers no_active_sale with the seconds until the next sale', async () => {
      await world.live(aSaleOpeningIn(42 * SECOND));

      expect(await getSale.active()).toEqual({
        ok: false,
        error: { code: 'no_active_sale', detail: expect.any(String), retryAfterSeconds: 42 },
      });
    });

    it('answers no_active_sale without Retry-After when no sale is coming', async () => {
      await world.live(aSaleThatEnded(MINUTE));

      expect(await getSale.active()).toEqual({ ok: false, error: { code: 'no_active_sale', detail: expect.any(String) } });
    });
  });

  describe('upcoming()', () => {
    it('lists the open sale and those after it by start, not those that ended', async () => {
      const ended = aSaleThatEnded(MINUTE, { durationMs: 10 * MINUTE });
      const open = aSale({ opensInMs: -MINUTE, durationMs: 2 * MINUTE });
      const third = aSaleOpeningIn(2 * HOUR);
      const second = aSaleOpeningIn(HOUR);
      await world.live(ended, open, third, second);

      expect((await getSale.upcoming()).map((v) => [v.id, v.status])).toEqual([
        [open.id, 'active'],
        [second.id, 'scheduled'],
        [third.id, 'scheduled'],
      ]);
    });
  });

  describe('byId()', () => {
    it('answers a sale nobody has as sale_not_found', async () => {
      expect(await getSale.byId(99 as SaleId)).toEqual({ ok: false, error: { code: 'sale_not_found', detail: 'There is no sale 99.' } });
    });

    it('finds a sale the calendar does not hold in the database', async () => {
      const old = aSaleThatEnded(3 * 24 * HOUR);
      world.stored(old);

      expect(await getSale.byId(old.id)).toEqual({ ok: true, value: expect.objectContaining({ id: old.id, status: 'ended' }) });
    });

    it('counts what written orders sold once the sale has left the ledger', async () => {
      const old = aSaleThatEnded(3 * 24 * HOUR, { items: 5 });
      world.stored(old);
      await world.orders.saveBatch([anOrder(old, { items: [itemOf(old, 1), itemOf(old, 2)] }), anOrder(old, { items: [itemOf(old, 3)] })]);

      expect(await getSale.byId(old.id)).toEqual({ ok: true, value: expect.objectContaining({ itemsSold: 3, itemsRemaining: 2 }) });
    });

    it('prefers the ledger’s live counters while the sale is loaded', async () => {
      const sale = anOpenSale({ items: 5 });
      await world.live(sale);
      await buy(sale, 'alice', 1); // acknowledged, not yet written to PostgreSQL

      expect(await getSale.byId(sale.id)).toEqual({ ok: true, value: expect.objectContaining({ itemsSold: 1, itemsRemaining: 4 }) });
    });

    it('shows a paused sale as paused', async () => {
      const sale = anOpenSale();
      await world.live(sale);
      await world.ledger.setPaused(sale.id, true);

      expect(await getSale.byId(sale.id)).toEqual({ ok: true, value: expect.objectContaining({ status: 'paused' }) });
    });

    it('shows a paused sale the ledger lost (until it is loaded again) as paused, from the database', async () => {
      const sale = anOpenSale();
      world.stored(sale);
      await world.sales.setPaused(sale.id, true);

      expect(await getSale.byId(sale.id)).toEqual({ ok: true, value: expect.objectContaining({ status: 'paused' }) });
    });
  });
});
