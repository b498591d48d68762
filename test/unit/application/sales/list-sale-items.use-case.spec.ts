import { ListSaleItemsUseCase } from '../../../../src/application/sales/list-sale-items.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('ListSaleItemsUseCase', () => {
  let world: World;
  let listItems: ListSaleItemsUseCase;

  beforeEach(() => {
    world = new World();
    listItems = new ListSaleItemsUseCase(world.calendar, world.ledger, world.sales);
  });

  it('pages through the items in id order, with a cursor while more follow', async () => {
    const sale = anOpenSale({ items: 5 });
    await world.live(sale);

    const first = await listItems.execute(sale.id, null, 2);
    const cursor = first.ok ? first.value.nextCursor : null;
    const second = await listItems.execute(sale.id, Number(cursor) as ItemId, 2);
    const last = await listItems.execute(sale.id, itemOf(sale, 4), 2);

    expect(first).toEqual({
      ok: true,
      value: {
        items: [
          { id: itemOf(sale, 1), name: 'Item 1', sold: false },
          { id: itemOf(sale, 2), name: 'Item 2', sold: false },
        ],
        nextCursor: String(itemOf(sale, 2)),
      },
    });
    expect(second.ok && second.value.items.map((i) => i.id)).toEqual([itemOf(sale, 3), itemOf(sale, 4)]);
    expect(last).toEqual({ ok: true, value: { items: [expect.objectContaining({ id: itemOf(sale, 5) })], nextCursor: null } });
  });

  it('has no cursor when the page ends exactly with the last item', async () => {
    const sale = anOpenSale({ items: 4 });
    await world.live(sale);

    expect(await listItems.execute(sale.id, null, 4)).toEqual({ ok: true, value: expect.objectContaining({ nextCursor: null }) });
  });

  it('says which items are sold from the ledger, live, while the sale is loaded', async () => {
    const sale = anOpenSale({ items: 3, unitsPerItem: 2 });
    await world.live(sale);
    for (const user of ['alice', 'bob']) {
      const code = `${sale.id}-code${user}xxxxxxxxxxxxxx` as CheckoutCode;
      await world.ledger.checkout(sale.id, user as UserId, itemOf(sale, 2), code, null);
      await world.ledger.purchase(sale.id, code, `order-${user}`, null, null);
    }
    const code = `${sale.id}-codecarolxxxxxxxxxxxxx` as CheckoutCode;
    await world.ledger.checkout(sale.id, 'carol' as UserId, itemOf(sale, 3), code, null);
    await world.ledger.purchase(sale.id, code, 'order-carol', null, null);

    const page = await listItems.execute(sale.id, null, 10);

    // Item 3 has one of its two units left: not sold.
    expect(page.ok && page.value.items.map((i) => i.sold)).toEqual([false, true, false]);
  });

  it('says which items are sold from the database once the sale has left the ledger', async () => {
    const old = aSaleThatEnded(3 * 24 * HOUR, { items: 3 });
    world.stored(old);
    await world.orders.saveBatch([anOrder(old, { items: [itemOf(old, 3)] })]);

    const page = await listItems.execute(old.id, null, 10);

    expect(page.ok && page.value.items.map((i) => i.sold)).toEqual([false, false, true]);
  });

  it("hands out the same page while the ledger's answer is the same one, and a new page once it changes", async () => {
    const sale = anOpenSale({ items: 2 });
    await world.live(sale);
    // The Redis read model hands out one answer object for as long as it keeps it (PUBLIC_READ_MAX_AGE_MS).
    const kept = [5, 5];
    const unitsLeft = jest.spyOn(world.ledger, 'unitsLeft').mockResolvedValue(kept);

    const first = await listItems.execute(sale.id, null, 10, 100);
    const again = await listItems.execute(sale.id, null, 10, 100);
    expect(again.ok && first.ok && again.value === first.value).toBe(true);

    unitsLeft.mockResolvedValue([0, 5]);
    const later = await listItems.execute(sale.id, null, 10, 100);
    expect(later.ok && later.value.items.map((i) => i.sold)).toEqual([true, false]);
    expect(first.ok && first.value.items.map((i) => i.sold)).toEqual([false, false]);
  });

  it('answers an unknown sale as sale_not_found', async () => {
    expect(await listItems.execute(5 as SaleId, null, 10)).toEqual({
      ok: false,
      error: { code: 'sale_not_found', detail: 'There is no sale 5.' },
    });
  });
});
