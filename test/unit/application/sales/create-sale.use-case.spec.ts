import { CreateSaleCommand, CreateSaleUseCase, MAX_ITEMS_PER_SALE } from '../../../../src/application/sales/create-sale.use-case';
import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { itemName } from '../../../../src/domain/sale/item-names';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { HOUR, MINUTE, NOW } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

describe('CreateSaleUseCase', () => {
  let world: World;
  let createSale: CreateSaleUseCase;

  beforeEach(() => {
    world = new World();
    const getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
    createSale = new CreateSaleUseCase(world.sales, world.loader, getSale, world.clock);
  });

  const command = (cmd: Partial<CreateSaleCommand> = {}): CreateSaleCommand => ({
    startsAt: at(HOUR),
    endsAt: at(2 * HOUR),
    itemsTotal: 20,
    perUserLimit: 2,
    ...cmd,
  });

  it('creates the sale with named items, loads it and shows it', async () => {
    const result = await createSale.execute(command());

    expect(result).toEqual({
      ok: true,
      value: {
        created: true,
        sale: {
          id: 1,
          startsAt: at(HOUR).toISOString(),
          endsAt: at(2 * HOUR).toISOString(),
          status: 'scheduled',
          itemsTotal: 20,
          itemsSold: 0,
          itemsRemaining: 20,
          perUserLimit: 2,
          saleCap: 20,
          onePurchasePerUser: false,
        },
      },
    });
    expect(await world.ledger.isLoaded(1 as SaleId)).toBe(true);
    expect(world.calendar.find(1 as SaleId)).not.toBeNull();
    expect((await world.sales.listItems(1 as SaleId, null, 3)).map((i) => i.name)).toEqual([0, 1, 2].map(itemName));
  });

  it('makes the sale known to every instance, with its items, so early checkouts are answered locally', async () => {
    await createSale.execute(command());
    const [item] = await world.sales.itemIds(1 as SaleId);

    expect(world.registry.has(1 as SaleId)).toBe(true);
    expect(world.calendar.notStartedSaleWith(item!, world.clock.now())?.id).toBe(1);
  });

  describe('defaults', () => {
    it('caps the sale at every unit of every item, one unit per item, any number of purchases', async () => {
      await createSale.execute(command({ itemsTotal: 7, unitsPerItem: 3 }));
      const sale = await world.sales.findById(1 as SaleId);

      expect(sale!.terms).toEqual({ itemsTotal: 7, unitsPerItem: 3, saleCap: 21, perUserLimit: 2, onePurchasePerUser: false });
      expect(await world.ledger.unitsLeft(sale!.id, await world.sales.itemIds(sale!.id))).toEqual(Array(7).fill(3));
    });

    it('keeps what the operator gave', async () => {
      await createSale.execute(command({ itemsTotal: 7, saleCap: 5, onePurchasePerUser: true }));

      expect((await world.sales.findById(1 as SaleId))!.terms).toEqual(
        expect.objectContaining({ saleCap: 5, unitsPerItem: 1, onePurchasePerUser: true }),
      );
    });
  });

  describe('validation', () => {
    it.each<[string, Partial<CreateSaleCommand>, RegExp]>([
      ['ends when it starts', { startsAt: at(HOUR), endsAt: at(HOUR) }, /must end after it starts/],
      ['ends before it starts', { startsAt: at(2 * HOUR), endsAt: at(HOUR) }, /must end after it starts/],
      ['ended already', { startsAt: at(-2 * HOUR), endsAt: at(0) }, /must end in the future/],
      ['has too many items', { itemsTotal: MAX_ITEMS_PER_SALE + 1 }, /at most 1000000 items/],
      ['has no items', { itemsTotal: 0 }, /itemsTotal must be a positive integer/],
      ['lets nobody buy', { perUserLimit: 0 }, /perUserLimit must be a positive integer/],
      ['has a cap of zero', { saleCap: 0 }, /saleCap must be a positive integer/],
      ['has fractional units', { unitsPerItem: 1.5 }, /unitsPerItem must be a positive integer/],
    ])('refuses a sale that %s as invalid_request, and creates nothing', async (_case, cmd, detail) => {
      const result = await createSale.execute(command(cmd));

      expect(result).toEqual({ ok: false, error: { code: 'invalid_request', detail: expect.stringMatching(detail) } });
      expect(await world.sales.listRecent(10)).toEqual([]);
    });

    it('accepts a sale that is already running but ends in the future', async () => {
      const result = await createSale.execute(command({ startsAt: at(-MINUTE), endsAt: at(MINUTE) }));

      expect(result).toEqual({ ok: true, value: { created: true, sale: expect.objectContaining({ status: 'active' }) } });
    });
  });

  describe('a sale that overlaps another', () => {
    beforeEach(async () => {
      await createSale.execute(command());
    });

    it('is refused as sale_overlaps, naming the other sale', async () => {
      const result = await createSale.execute(command({ startsAt: at(90 * MINUTE), endsAt: at(3 * HOUR) }));

      expect(result).toEqual({
        ok: false,
        error: { code: 'sale_overlaps', detail: `Sale 1 already runs from ${at(HOUR).toISOString()} to ${at(2 * HOUR).toISOString()}.` },
      });
      expect(await world.sales.listRecent(10)).toHaveLength(1);
    });

    it('is refused with exactly the same window but other terms', async () => {
      for (const terms of [{ itemsTotal: 21 }, { perUserLimit: 3 }, { saleCap: 19 }, { unitsPerItem: 2 }, { onePurchasePerUser: true }]) {
        expect(await createSale.execute(command(terms))).toEqual({ ok: false, error: expect.objectContaining({ code: 'sale_overlaps' }) });
      }
      expect(await world.sales.listRecent(10)).toHaveLength(1);
    });

    it('does not include a sale that starts when the other ends', async () => {
      expect((await createSale.execute(command({ startsAt: at(2 * HOUR), endsAt: at(3 * HOUR) }))).ok).toBe(true);
    });
  });

  describe('the very same sale asked for again', () => {
    it('answers the sale already there, created: false, and makes no other', async () => {
      const first = await createSale.execute(command({ saleCap: 15 }));
      const again = await createSale.execute(command({ saleCap: 15 }));

      expect(again).toEqual({ ok: true, value: { created: false, sale: first.ok && first.value.sale } });
      expect(await world.sales.listRecent(10)).toHaveLength(1);
    });

    it('loads it when the first request stored it but could not load it (the store was away)', async () => {
      const away = jest.spyOn(world.ledger, 'isLoaded').mockRejectedValueOnce(new Error('store unavailable'));
      await expect(createSale.execute(command())).rejects.toThrow('store unavailable');
      away.mockRestore();
      expect(await world.ledger.isLoaded(1 as SaleId)).toBe(false);

      const retried = await createSale.execute(command());

      expect(retried).toEqual({ ok: true, value: { created: false, sale: expect.objectContaining({ id: 1, itemsRemaining: 20 }) } });
      expect(await world.ledger.isLoaded(1 as SaleId)).toBe(true);
      expect(world.registry.has(1 as SaleId)).toBe(true);
    });
  });
});
