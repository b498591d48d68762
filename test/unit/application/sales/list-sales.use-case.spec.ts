import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { ListSalesUseCase } from '../../../../src/application/sales/list-sales.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('ListSalesUseCase', () => {
  let world: World;
  let listSales: ListSalesUseCase;

  beforeEach(() => {
    world = new World();
    const getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
    listSales = new ListSalesUseCase(world.sales, getSale, world.ledger, world.orders, world.outbox);
  });

  it('lists the most recent sales first, as many as asked', async () => {
    const old = aSaleThatEnded(2 * 24 * HOUR);
    const open = anOpenSale();
    const next = aSaleOpeningIn(HOUR);
    world.stored(old);
    await world.live(open, next);

    expect((await listSales.recent(2)).map((v) => [v.id, v.status])).toEqual([
      [next.id, 'scheduled'],
      [open.id, 'active'],
    ]);
    expect(await listSales.recent()).toHaveLength(3);
  });

  describe('report()', () => {
    it('adds the ledger’s counters, the orders written and the outbox to the sale', async () => {
      const sale = anOpenSale({ items: 4 });
      await world.live(sale);
      for (const [user, n] of [
        ['alice', 1],
        ['bob', 2],
      ] as const) {
        const code = `${sale.id}-code${user}xxxxxxxxxxxxxx` as CheckoutCode;
        await world.ledger.checkout(sale.id, user as UserId, itemOf(sale, n), code, null);
        await world.ledger.purchase(sale.id, code, `order-${user}`, null, null);
      }
      await world.orders.saveBatch(world.outbox.orders(sale.id).slice(0, 1));

      expect(await listSales.report(sale.id)).toEqual({
        ok: true,
        value: {
          sale: expect.objectContaining({ id: sale.id, itemsSold: 2 }),
          stats: { checkouts: { accepted: 2 }, purchaseFailures: {}, purchasesAcknowledged: 2, unitsPurchased: 2 },
          ordersWritten: 1,
          outboxLength: 2,
        },
      });
    });

    it('has no ledger counters once the sale has left the ledger', async () => {
      const old = aSaleThatEnded(3 * 24 * HOUR);
      world.stored(old);
      await world.orders.saveBatch([anOrder(old)]);

      expect(await listSales.report(old.id)).toEqual({
        ok: true,
        value: { sale: expect.objectContaining({ id: old.id, itemsSold: 1 }), stats: null, ordersWritten: 1, outboxLength: 0 },
      });
    });

    it('answers an unknown sale as sale_not_found', async () => {
      expect(await listSales.report(77 as SaleId)).toEqual({ ok: false, error: expect.objectContaining({ code: 'sale_not_found' }) });
    });
  });
});
