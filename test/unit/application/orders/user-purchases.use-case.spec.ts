import { UserPurchasesUseCase } from '../../../../src/application/orders/user-purchases.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, MINUTE, NOW, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

const alice = 'alice' as UserId;

describe('UserPurchasesUseCase', () => {
  let world: World;
  let userPurchases: UserPurchasesUseCase;

  beforeEach(() => {
    world = new World();
    userPurchases = new UserPurchasesUseCase(world.calendar, world.sales, world.ledger, world.orders);
  });

  async function buy(sale: Sale, tag: string, ...items: number[]): Promise<void> {
    const code = `${sale.id}-code${tag}xxxxxxxxxxxxxxx` as CheckoutCode;
    for (const n of items) await world.ledger.checkout(sale.id, alice, itemOf(sale, n), code, null);
    await world.ledger.purchase(sale.id, code, `order-${tag}`, null, null);
  }

  it('shows what the ledger counts, the orders written, and what is still on its way', async () => {
    const sale = anOpenSale({ perUserLimit: 5 });
    await world.live(sale);
    await buy(sale, 'first', 1, 2);
    world.clock.advance(MINUTE);
    await buy(sale, 'second', 3);
    await world.orders.saveBatch(world.outbox.orders(sale.id).slice(0, 1)); // the second is not written yet

    expect(await userPurchases.execute(sale.id, alice)).toEqual({
      ok: true,
      value: {
        saleId: sale.id,
        userId: 'alice',
        unitsBought: 3,
        perUserLimit: 5,
        orders: [{ orderId: 'order-first', itemIds: [itemOf(sale, 1), itemOf(sale, 2)], purchasedAt: NOW.toISOString() }],
        unitsPending: 1,
      },
    });
  });

  it('has no ledger count once the sale has left the ledger, and nothing pending', async () => {
    const old = aSaleThatEnded(3 * 24 * HOUR, { perUserLimit: 4 });
    world.stored(old);
    await world.orders.saveBatch([anOrder(old, { userId: 'alice', items: [itemOf(old, 2)] })]);

    expect(await userPurchases.execute(old.id, alice)).toEqual({
      ok: true,
      value: expect.objectContaining({
        unitsBought: null,
        perUserLimit: 4,
        unitsPending: 0,
        orders: [expect.objectContaining({ itemIds: [itemOf(old, 2)] })],
      }),
    });
  });

  it('shows a buyer who bought nothing', async () => {
    const sale = anOpenSale();
    await world.live(sale);

    expect(await userPurchases.execute(sale.id, alice)).toEqual({
      ok: true,
      value: expect.objectContaining({ unitsBought: 0, orders: [], unitsPending: 0 }),
    });
  });

  it('answers an unknown sale as sale_not_found', async () => {
    expect(await userPurchases.execute(12 as SaleId, alice)).toEqual({
      ok: false,
      error: { code: 'sale_not_found', detail: 'There is no sale 12.' },
    });
  });
});
