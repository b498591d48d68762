import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { aSaleOpeningIn, anOpenSale, itemOf, itemsOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('SaleLoader', () => {
  let world: World;

  beforeEach(() => {
    world = new World();
  });

  it('loads a sale with every unit for sale, registers it for every instance and remembers it here', async () => {
    const sale = aSaleOpeningIn(10_000, { items: 3, unitsPerItem: 2 });
    world.stored(sale);

    await world.loader.ensureLoaded(sale);

    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: false });
    expect(await world.ledger.unitsLeft(sale.id, itemsOf(sale))).toEqual([2, 2, 2]);
    expect(world.registry.has(sale.id)).toBe(true);
    expect(world.calendar.notStartedSaleWith(itemOf(sale, 2), world.clock.now())).toBe(sale);
  });

  it('rebuilds from written orders: what they sold stays sold and counts against the buyers’ limits', async () => {
    const sale = anOpenSale({ items: 3, unitsPerItem: 2, perUserLimit: 2, onePurchasePerUser: true });
    world.stored(sale);
    await world.orders.saveBatch([anOrder(sale, { userId: 'alice', items: [itemOf(sale, 1), itemOf(sale, 2)], unit: 2 })]);
    await world.orders.saveBatch([anOrder(sale, { userId: 'bob', items: [itemOf(sale, 1)], unit: 1 })]);

    await world.loader.ensureLoaded(sale);

    expect(await world.ledger.unitsLeft(sale.id, itemsOf(sale))).toEqual([0, 1, 2]);
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 3, paused: false });
    expect(await world.ledger.unitsBoughtBy(sale.id, 'alice' as UserId)).toBe(2);
    // Bob bought once in a one-purchase sale: he cannot check out again.
    const { result } = await world.ledger.checkout(
      sale.id,
      'bob' as UserId,
      itemOf(sale, 3),
      `${sale.id}-bobscodexxxxxxxxxx` as CheckoutCode,
      null,
    );
    expect(result).toEqual({ kind: 'rejected', reason: 'user_limit_reached' });
  });

  it('never loads a sale the ledger holds, so nothing sold since is undone', async () => {
    const sale = anOpenSale({ items: 2 });
    await world.live(sale);
    const code = `${sale.id}-alicescodexxxxxxxx` as CheckoutCode;
    await world.ledger.checkout(sale.id, 'alice' as UserId, itemOf(sale, 1), code, null);
    await world.ledger.purchase(sale.id, code, 'order-a', null, null);
    const loads = world.ledger.calls.load;

    await world.loader.ensureLoaded(sale);

    expect(world.ledger.calls.load).toBe(loads);
    expect(await world.ledger.unitsLeft(sale.id, [itemOf(sale, 1)])).toEqual([0]);
  });

  it('does not register again a loaded sale this instance knows', async () => {
    const sale = anOpenSale();
    await world.live(sale);
    const registrations = world.registry.registrations;

    await world.loader.ensureLoaded(sale);

    expect(world.registry.registrations).toBe(registrations);
  });

  it('registers a loaded sale this instance does not know yet (another instance loaded it), with its items', async () => {
    const sale = aSaleOpeningIn(60_000, { items: 4 });
    world.stored(sale);
    await world.ledger.load(
      sale,
      itemsOf(sale).map((id) => ({ id, unitsLeft: 1 })),
      [],
      0,
    );

    await world.loader.ensureLoaded(sale);

    expect(world.ledger.calls.load).toBe(1);
    expect(world.registry.registrations).toBe(1);
    expect(world.calendar.notStartedSaleWith(itemOf(sale, 4), world.clock.now())).toBe(sale);
  });
});
