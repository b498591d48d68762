import { GetSaleUseCase } from '../../../../src/application/sales/get-sale.use-case';
import { PauseSaleUseCase } from '../../../../src/application/sales/pause-sale.use-case';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { LedgerEvent } from '../../../../src/application/events/sale-event-feed.port';
import { HOUR, MINUTE, aSaleOpeningIn, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('PauseSaleUseCase', () => {
  let world: World;
  let pauseSale: PauseSaleUseCase;

  beforeEach(() => {
    world = new World();
    const getSale = new GetSaleUseCase(world.calendar, world.ledger, world.sales, world.clock);
    pauseSale = new PauseSaleUseCase(world.calendar, world.sales, world.ledger, world.loader, getSale, world.clock);
  });

  it('pauses a running sale in the ledger, tells every instance and shows it paused', async () => {
    const sale = anOpenSale();
    await world.live(sale);
    const events: LedgerEvent[] = [];
    await world.events.subscribe(sale.id, (e) => events.push(e));

    const result = await pauseSale.pause(sale.id);

    expect(result).toEqual({ ok: true, value: expect.objectContaining({ id: sale.id, status: 'paused' }) });
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: true });
    expect(events).toEqual([{ kind: 'paused' }]);
  });

  it('resumes it', async () => {
    const sale = anOpenSale();
    await world.live(sale);
    await pauseSale.pause(sale.id);

    expect(await pauseSale.resume(sale.id)).toEqual({ ok: true, value: expect.objectContaining({ status: 'active' }) });
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: false });
  });

  it('is kept when the sale is loaded again from the database (Redis lost its keys), and so is a resume', async () => {
    const sale = anOpenSale();
    await world.live(sale);
    await pauseSale.pause(sale.id);

    world.ledger.forget(sale.id);
    await world.loader.ensureLoaded(sale);
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: true });

    await pauseSale.resume(sale.id);
    world.ledger.forget(sale.id);
    await world.loader.ensureLoaded(sale);
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: false });
  });

  it('answers an unknown sale as sale_not_found', async () => {
    expect(await pauseSale.pause(42 as SaleId)).toEqual({
      ok: false,
      error: { code: 'sale_not_found', detail: 'There is no sale 42.' },
    });
  });

  it('refuses a sale that has ended, and leaves it alone', async () => {
    const sale = aSaleThatEnded(MINUTE);
    await world.live(sale);

    expect(await pauseSale.pause(sale.id)).toEqual({ ok: false, error: { code: 'sale_ended', detail: `Sale ${sale.id} has ended.` } });
    expect(await world.ledger.liveState(sale.id)).toMatchObject({ sold: 0, paused: false });
  });

  it('loads a sale that is not in the ledger yet (far ahead), so it can be paused before it opens', async () => {
    const farAhead = aSaleOpeningIn(3 * 24 * HOUR);
    world.stored(farAhead);
    expect(await world.ledger.isLoaded(farAhead.id)).toBe(false);

    const result = await pauseSale.pause(farAhead.id);

    expect(result).toEqual({ ok: true, value: expect.objectContaining({ status: 'scheduled' }) });
    expect(await world.ledger.liveState(farAhead.id)).toMatchObject({ sold: 0, paused: true });
    expect(world.calendar.find(farAhead.id)).not.toBeNull();
  });

  it('keeps the pause when the sale opens', async () => {
    const soon = aSaleOpeningIn(MINUTE);
    await world.live(soon);
    await pauseSale.pause(soon.id);
    world.clock.advance(2 * MINUTE);

    const { result } = await world.ledger.checkout(
      soon.id,
      'alice' as UserId,
      itemOf(soon, 1),
      `${soon.id}-abcdefghijklmnop` as CheckoutCode,
      null,
    );
    expect(result).toEqual({ kind: 'rejected', reason: 'sale_paused' });
  });
});
