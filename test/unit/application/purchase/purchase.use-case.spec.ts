import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../../../src/domain/sale/sale-id.value-object';
import { SaleWindow } from '../../../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { PurchaseUseCase } from '../../../../src/application/purchase/purchase.use-case';
import { ReplicaNotConfirmedError } from '../../../../src/application/shared/replica-confirmation.errors';
import { MINUTE, SECOND, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';
import { idempotencyScope } from '../../../../src/application/shared/idempotency-scope';

const alice = 'alice' as UserId;
const bob = 'bob' as UserId;

describe('PurchaseUseCase', () => {
  let world: World;
  let purchase: PurchaseUseCase;
  let sale: Sale;

  beforeEach(async () => {
    world = new World();
    purchase = new PurchaseUseCase(world.ledger, world.ids, world.metrics, world.soldOut, world.replicas, world.calendar, world.clock);
    sale = anOpenSale({ items: 6, perUserLimit: 3 });
    await world.live(sale);
  });

  /** A checkout of these items, opened straight in the ledger. */
  async function checkoutOf(user: UserId, ...items: ItemId[]): Promise<CheckoutCode> {
    let code: CheckoutCode | null = null;
    for (const item of items) {
      const { result } = await world.ledger.checkout(
        sale.id,
        user,
        item,
        `${sale.id}-fresh${user}${item}xxxxxxxxxxxx` as CheckoutCode,
        null,
      );
      if (result.kind !== 'ok') throw new Error(`checkout of ${item} refused: ${result.reason}`);
      code = result.code;
    }
    return code!;
  }

  it('buys every item of the checkout under a fresh order id, and the order goes to the outbox', async () => {
    const code = await checkoutOf(alice, itemOf(sale, 1), itemOf(sale, 2));

    const { result, replayed } = await purchase.execute({ saleId: sale.id, code });

    expect(replayed).toBe(false);
    expect(result).toEqual({
      ok: true,
      value: { orderId: 'order-1', saleId: sale.id, purchased: [itemOf(sale, 1), itemOf(sale, 2)], failed: [] },
    });
    expect(world.outbox.orders(sale.id)).toEqual([expect.objectContaining({ id: 'order-1', userId: 'alice', checkoutCode: code })]);
  });

  describe('confirmed means kept (replica durability)', () => {
    it('answers only once a replica holds the purchase', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));

      await purchase.execute({ saleId: sale.id, code });

      expect(world.replicas.confirmed).toEqual([sale.id]);
    });

    it('throws when no replica confirms, and the same code later answers what was bought, buying nothing twice', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      world.replicas.confirming = false;

      await expect(purchase.execute({ saleId: sale.id, code })).rejects.toThrow(ReplicaNotConfirmedError);

      world.replicas.confirming = true;
      const again = await purchase.execute({ saleId: sale.id, code });
      expect(again.result).toEqual({ ok: true, value: expect.objectContaining({ orderId: 'order-1', purchased: [itemOf(sale, 1)] }) });
      expect(world.outbox.orders(sale.id)).toHaveLength(1);
    });

    it('also confirms a stored result before answering it: the first answer may have been lost before it was safe', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      await purchase.execute({ saleId: sale.id, code });

      await purchase.execute({ saleId: sale.id, code });

      expect(world.replicas.confirmed).toEqual([sale.id, sale.id]);
    });

    it('confirms nothing for a refusal: nothing was written', async () => {
      await purchase.execute({ saleId: sale.id, code: `${sale.id}-AAAAAAAAAAAAAAAAAAAAAA` as CheckoutCode });

      expect(world.replicas.confirmed).toEqual([]);
    });
  });

  it('buys what it can and says why not for the rest; nothing bought means no order', async () => {
    const alices = await checkoutOf(alice, itemOf(sale, 1));
    const bobs = await checkoutOf(bob, itemOf(sale, 1));
    await purchase.execute({ saleId: sale.id, code: alices });

    expect((await purchase.execute({ saleId: sale.id, code: bobs })).result).toEqual({
      ok: true,
      value: { orderId: null, saleId: sale.id, purchased: [], failed: [{ id: itemOf(sale, 1), reason: 'item_sold_out' }] },
    });
  });

  describe('metrics', () => {
    it('counts the items bought and the failures by reason', async () => {
      const first = await checkoutOf(alice, itemOf(sale, 1), itemOf(sale, 2));
      const second = await checkoutOf(bob, itemOf(sale, 1), itemOf(sale, 2), itemOf(sale, 3));
      await purchase.execute({ saleId: sale.id, code: first });
      await purchase.execute({ saleId: sale.id, code: second });

      expect(world.metrics.purchases).toEqual([
        { purchased: 2, failedByReason: {} },
        { purchased: 1, failedByReason: { item_sold_out: 2 } },
      ]);
    });

    it('counts a purchase only the first time: not when the spent code is sent again, nor on a replay', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      await purchase.execute({ saleId: sale.id, code, idempotencyKey: 'k', buyer: alice });
      const again = await purchase.execute({ saleId: sale.id, code });
      const replay = await purchase.execute({ saleId: sale.id, code, idempotencyKey: 'k', buyer: alice });

      expect(world.metrics.purchases).toHaveLength(1);
      expect(again).toEqual({ result: { ok: true, value: expect.objectContaining({ orderId: 'order-1' }) }, replayed: false });
      expect(replay).toEqual({ result: { ok: true, value: expect.objectContaining({ orderId: 'order-1' }) }, replayed: true });
    });
  });

  it('learns the items that failed as sold out', async () => {
    const alices = await checkoutOf(alice, itemOf(sale, 6));
    const bobs = await checkoutOf(bob, itemOf(sale, 5), itemOf(sale, 6));
    await purchase.execute({ saleId: sale.id, code: alices });
    expect(world.soldOut.has(sale.id, itemOf(sale, 6))).toBe(false);

    await purchase.execute({ saleId: sale.id, code: bobs });

    expect(world.soldOut.has(sale.id, itemOf(sale, 6))).toBe(true);
    expect(world.soldOut.has(sale.id, itemOf(sale, 5))).toBe(false);
  });

  it('does not learn items refused for another reason: the sale’s cap does not make an item sold out', async () => {
    const capped = anOpenSale({ items: 4, saleCap: 1, durationMs: 30 * MINUTE });
    await world.live(capped);
    const code = (user: UserId, n: number) => `${capped.id}-code${user}${n}xxxxxxxxxxxx` as CheckoutCode;
    await world.ledger.checkout(capped.id, alice, itemOf(capped, 1), code(alice, 1), null);
    await world.ledger.checkout(capped.id, bob, itemOf(capped, 2), code(bob, 2), null);
    await purchase.execute({ saleId: capped.id, code: code(alice, 1) });

    const { result } = await purchase.execute({ saleId: capped.id, code: code(bob, 2) });

    expect(result).toEqual({ ok: true, value: expect.objectContaining({ failed: [{ id: itemOf(capped, 2), reason: 'sale_sold_out' }] }) });
    expect(world.soldOut.has(capped.id, itemOf(capped, 2))).toBe(false);
    expect(world.metrics.purchases.at(-1)).toEqual({ purchased: 0, failedByReason: { sale_sold_out: 1 } });
  });

  describe('refusals', () => {
    it('answers an unknown code as checkout_not_found, without Retry-After', async () => {
      expect((await purchase.execute({ saleId: sale.id, code: `${sale.id}-nosuchcodexxxxxxxxx` as CheckoutCode })).result).toEqual({
        ok: false,
        error: { code: 'checkout_not_found', detail: expect.any(String) },
      });
    });

    it('answers a paused sale with Retry-After: 1 and spends nothing', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      await world.ledger.setPaused(sale.id, true);

      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_paused', retryAfterSeconds: 1 }),
      });
      await world.ledger.setPaused(sale.id, false);
      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual({
        ok: true,
        value: expect.objectContaining({ purchased: [itemOf(sale, 1)] }),
      });
    });

    it('answers a checkout of a sale that has ended as sale_ended, without Retry-After', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      world.clock.set(sale.endsAt);

      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual({
        ok: false,
        error: { code: 'sale_ended', detail: expect.any(String) },
      });
    });
  });

  describe('after the sale ended: the batched check (purchase-ended.lua) instead of a full purchase', () => {
    it('refuses a code not spent as sale_ended, and an unknown code or someone else’s as checkout_not_found', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      world.clock.set(sale.endsAt);

      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_ended' }),
      });
      expect((await purchase.execute({ saleId: sale.id, code, buyer: bob })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'checkout_not_found' }),
      });
      const unknown = `${sale.id}-nosuchcodexxxxxxxxx` as CheckoutCode;
      expect((await purchase.execute({ saleId: sale.id, code: unknown })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'checkout_not_found' }),
      });
      expect(world.ledger.calls).toMatchObject({ refuseEnded: 3, purchase: 0 });
      expect(world.replicas.confirmed).toEqual([]);
    });

    it('answers a spent code again with what it bought: the full purchase runs, and confirms it', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      const first = await purchase.execute({ saleId: sale.id, code });
      world.clock.set(sale.endsAt);

      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual(first.result);
      expect(world.ledger.calls).toMatchObject({ refuseEnded: 1, purchase: 2 });
      expect(world.replicas.confirmed).toEqual([sale.id, sale.id]);
    });

    it('buys when the ledger says the sale is still open: a stale calendar only sends a purchase on, never refuses it', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      // This instance believes the sale ended a second ago (an end moved later since it last read the sale).
      world.known(Sale.restore(sale.id, SaleWindow.of(sale.startsAt, new Date(world.clock.now().getTime() - SECOND)), sale.terms));

      expect((await purchase.execute({ saleId: sale.id, code })).result).toEqual({
        ok: true,
        value: expect.objectContaining({ purchased: [itemOf(sale, 1)] }),
      });
      expect(world.ledger.calls).toMatchObject({ refuseEnded: 1, purchase: 1 });
    });

    it('runs the full purchase with an Idempotency-Key, which stores its answer', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      world.clock.set(sale.endsAt);

      expect((await purchase.execute({ saleId: sale.id, code, idempotencyKey: 'k1' })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_ended' }),
      });
      expect(world.ledger.calls).toMatchObject({ refuseEnded: 0, purchase: 1 });
    });

    it('asks nothing of the batched check while the sale is open, nor for a sale this instance does not know', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      await purchase.execute({ saleId: sale.id, code });
      expect((await purchase.execute({ saleId: 999 as SaleId, code: '999-nosuchcodexxxxxxxxx' as CheckoutCode })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'checkout_not_found' }),
      });
      expect(world.ledger.calls).toMatchObject({ refuseEnded: 0, purchase: 2 });
    });
  });

  describe('buyers', () => {
    it('answers someone else’s code as unknown, and buys nothing', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));

      expect((await purchase.execute({ saleId: sale.id, code, buyer: bob })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'checkout_not_found' }),
      });
      expect(await world.ledger.unitsLeft(sale.id, [itemOf(sale, 1)])).toEqual([1]);
    });

    it('scopes Idempotency-Keys to the signed-in buyer: two buyers with the same key each buy', async () => {
      const alices = await checkoutOf(alice, itemOf(sale, 1));
      const bobs = await checkoutOf(bob, itemOf(sale, 2));

      const a = await purchase.execute({ saleId: sale.id, code: alices, idempotencyKey: 'same', buyer: alice });
      const b = await purchase.execute({ saleId: sale.id, code: bobs, idempotencyKey: 'same', buyer: bob });

      expect(a.result).toEqual({ ok: true, value: expect.objectContaining({ purchased: [itemOf(sale, 1)] }) });
      expect(b).toEqual({ result: { ok: true, value: expect.objectContaining({ purchased: [itemOf(sale, 2)] }) }, replayed: false });
    });

    it('scopes keys to the sale when no buyer is named (trusted mode): the same key for another code is refused', async () => {
      const alices = await checkoutOf(alice, itemOf(sale, 1));
      const bobs = await checkoutOf(bob, itemOf(sale, 2));
      await purchase.execute({ saleId: sale.id, code: alices, idempotencyKey: 'same' });

      expect(await purchase.execute({ saleId: sale.id, code: bobs, idempotencyKey: 'same' })).toEqual({
        result: { ok: false, error: expect.objectContaining({ code: 'idempotency_key_reused' }) },
        replayed: false,
      });
      expect(await world.ledger.unitsLeft(sale.id, [itemOf(sale, 2)])).toEqual([1]);
    });

    it('keeps a buyer’s key and the trusted-mode key apart', async () => {
      const alices = await checkoutOf(alice, itemOf(sale, 1));
      const bobs = await checkoutOf(bob, itemOf(sale, 2));
      await purchase.execute({ saleId: sale.id, code: alices, idempotencyKey: 'k', buyer: alice });

      expect((await purchase.execute({ saleId: sale.id, code: bobs, idempotencyKey: 'k' })).result.ok).toBe(true);
    });

    it('answers a key still being processed with idempotency_key_in_use and Retry-After: 1', async () => {
      const code = await checkoutOf(alice, itemOf(sale, 1));
      world.ledger.holdIdempotencyKey(sale.id, idempotencyScope('purchase', 'alice', 'busy'), `code=${code}`);

      expect((await purchase.execute({ saleId: sale.id, code, idempotencyKey: 'busy', buyer: alice })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'idempotency_key_in_use', retryAfterSeconds: 1 }),
      });
    });
  });
});
