import { CheckoutUseCase } from '../../../../src/application/checkout/checkout.use-case';
import { CLOCK_MARGIN_MS } from '../../../../src/application/sales/sale-calendar.service';
import { ItemId } from '../../../../src/domain/sale/item-id.value-object';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { ATTEMPTS_WITHOUT_SALE } from '../../../support/doubles/in-memory-checkout-attempt-log';
import { InMemoryLedger } from '../../../support/doubles/in-memory-ledger';
import {
  HOUR,
  MINUTE,
  NOT_AN_ITEM,
  NOW,
  SECOND,
  aSale,
  aSaleOpeningIn,
  aSaleThatEnded,
  anOpenSale,
  itemOf,
  stockOf,
} from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';
import { idempotencyScope } from '../../../../src/application/shared/idempotency-scope';

const alice = 'alice' as UserId;
const bob = 'bob' as UserId;

describe('CheckoutUseCase', () => {
  let world: World;
  let checkout: CheckoutUseCase;

  beforeEach(() => {
    world = new World();
    checkout = useCaseOn(world, world.ledger);
  });

  function useCaseOn(w: World, ledger: InMemoryLedger): CheckoutUseCase {
    return new CheckoutUseCase(w.calendar, w.soldOut, ledger, w.attempts, w.ids, w.clock, w.metrics);
  }

  const run = (userId: UserId, itemId: ItemId, idempotencyKey?: string) => checkout.execute({ userId, itemId, idempotencyKey });

  /** Sells the item's last unit to someone else, through the ledger. */
  async function sellOut(sale: Sale, item: ItemId): Promise<void> {
    const buyer = 'someone-else' as UserId;
    const { result } = await run(buyer, item);
    if (!result.ok) throw new Error(`could not check out ${item}: ${result.error.code}`);
    await world.ledger.purchase(sale.id, result.value.code, 'sell-out-order', null, null);
  }

  describe('before the item’s sale opens', () => {
    it('answers sale_not_started with the seconds until it opens, without asking the ledger', async () => {
      const early = aSaleOpeningIn(90 * SECOND + 500);
      await world.live(early);
      const outcome = await run(alice, itemOf(early, 1));

      expect(outcome).toEqual({
        result: { ok: false, error: expect.objectContaining({ code: 'sale_not_started', retryAfterSeconds: 91 }) },
        replayed: false,
      });
      expect(world.ledger.calls.checkout).toBe(0);
      expect(world.ledger.calls.refuseSoldOut).toBe(0);
    });

    it('still logs the attempt (with its sale) and counts it', async () => {
      const early = aSaleOpeningIn(10 * MINUTE);
      await world.live(early);
      await run(alice, itemOf(early, 2));

      expect(world.attempts.waiting(ATTEMPTS_WITHOUT_SALE)).toEqual([
        expect.objectContaining({ userId: 'alice', itemId: itemOf(early, 2), result: 'sale_not_started', saleId: early.id }),
      ]);
      expect(world.metrics.checkouts).toEqual(['sale_not_started']);
    });

    it('answers an item of the open sale normally while the next sale is still to come', async () => {
      const open = anOpenSale({ durationMs: 30 * MINUTE });
      const next = aSaleOpeningIn(29 * MINUTE);
      await world.live(open, next);

      expect((await run(alice, itemOf(open, 1))).result.ok).toBe(true);
      expect((await run(alice, itemOf(next, 1))).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_not_started' }),
      });
    });
  });

  describe('when this instance’s clock differs a little from the ledger’s (Redis’s)', () => {
    /** The use case with the world's calendar (this instance's clock) and a ledger on a clock of its own. */
    async function onLedgerClockAt(at: number, ...sales: Sale[]) {
      const ledger = new InMemoryLedger(new FixedClock(new Date(at)));
      for (const s of sales) {
        world.known(s);
        await ledger.load(s, stockOf(s), [], 0);
      }
      return { ledger, use: useCaseOn(world, ledger) };
    }

    it('sends a checkout just before the start by its clock to the ledger, which may already be open', async () => {
      const sale = aSaleOpeningIn(300);
      const { ledger, use } = await onLedgerClockAt(sale.startsAt.getTime() + 10, sale);

      const { result } = await use.execute({ userId: alice, itemId: itemOf(sale, 1) });

      expect(result.ok).toBe(true);
      expect(ledger.calls.checkout).toBe(1);
    });

    it('lets the ledger answer sale_not_started within the margin, and answers it alone further out', async () => {
      const soon = aSaleOpeningIn(CLOCK_MARGIN_MS - 1);
      const later = aSaleOpeningIn(CLOCK_MARGIN_MS + 1, { id: soon.id + 1 });
      const { ledger, use } = await onLedgerClockAt(NOW.getTime(), soon, later);

      expect((await use.execute({ userId: alice, itemId: itemOf(soon, 1) })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_not_started', retryAfterSeconds: 1 }),
      });
      expect(ledger.calls.checkout).toBe(1);
      expect((await use.execute({ userId: alice, itemId: itemOf(later, 1) })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_not_started' }),
      });
      expect(ledger.calls.checkout).toBe(1);
    });

    it('sends a checkout of the ending sale’s item just after its end by its clock to that sale, not the next', async () => {
      const ending = aSaleThatEnded(300, { durationMs: 30 * MINUTE });
      const next = aSale({ id: ending.id + 1, opensInMs: -300, durationMs: 30 * MINUTE });
      const { ledger, use } = await onLedgerClockAt(ending.endsAt.getTime() - 10, ending, next);

      const { result } = await use.execute({ userId: alice, itemId: itemOf(ending, 1) });

      expect(result.ok && result.value.saleId).toBe(ending.id);
      expect(ledger.calls.checkout).toBe(1);
    });

    it('sends it to the ledger when no sale follows, instead of answering no_active_sale alone', async () => {
      const ending = aSaleThatEnded(300);
      const { ledger, use } = await onLedgerClockAt(ending.endsAt.getTime() - 10, ending);

      expect((await use.execute({ userId: alice, itemId: itemOf(ending, 1) })).result.ok).toBe(true);
      // Past the margin the instance answers alone again.
      world.clock.advance(CLOCK_MARGIN_MS);
      expect((await use.execute({ userId: alice, itemId: itemOf(ending, 2) })).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'no_active_sale' }),
      });
      expect(ledger.calls.checkout).toBe(1);
    });
  });

  describe('with no sale open', () => {
    it('answers no_active_sale with Retry-After until the next sale', async () => {
      const next = aSaleOpeningIn(5 * MINUTE);
      await world.live(next);
      const { result } = await run(alice, NOT_AN_ITEM);

      expect(result).toEqual({ ok: false, error: expect.objectContaining({ code: 'no_active_sale', retryAfterSeconds: 300 }) });
      expect(world.ledger.calls.checkout).toBe(0);
    });

    it("gives the ledger's own no_active_sale (its sale not loaded) the Retry-After of the next sale", async () => {
      const open = anOpenSale({ items: 3 });
      const next = aSaleOpeningIn(2 * HOUR);
      await world.live(open, next);
      world.ledger.forget(open.id);

      const { result } = await run(alice, itemOf(open, 1));

      expect(world.ledger.calls.checkout).toBe(1);
      expect(result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'no_active_sale', retryAfterSeconds: next.window.secondsUntilStart(world.clock.now()) }),
      });
    });

    it('answers no_active_sale without Retry-After when no sale is coming', async () => {
      const { result } = await run(alice, 1 as ItemId);

      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toEqual({ code: 'no_active_sale', detail: expect.any(String) });
    });

    it('logs the attempt without a sale and counts it', async () => {
      await run(alice, 7 as ItemId);

      expect(world.attempts.waiting(ATTEMPTS_WITHOUT_SALE)).toEqual([
        expect.objectContaining({ userId: 'alice', itemId: 7, result: 'no_active_sale', saleId: null }),
      ]);
      expect(world.metrics.checkouts).toEqual(['no_active_sale']);
    });

    it('treats a sale that has ended as no sale', async () => {
      const sale = anOpenSale({ durationMs: 2 * MINUTE });
      await world.live(sale);
      world.clock.advance(2 * MINUTE);

      expect((await run(alice, itemOf(sale, 1))).result).toEqual({ ok: false, error: expect.objectContaining({ code: 'no_active_sale' }) });
    });
  });

  describe('a sale the ledger has refused as sold out (its cap reached)', () => {
    let sale: Sale;

    beforeEach(async () => {
      sale = anOpenSale({ items: 5, saleCap: 2 });
      await world.live(sale);
      await sellOut(sale, itemOf(sale, 1));
      await sellOut(sale, itemOf(sale, 2)); // the cap: items 3 to 5 still have a unit each
      world.metrics.checkouts.length = 0;
    });

    it('is learned from the ledger’s answer', async () => {
      expect(world.soldOut.capReached(sale.id)).toBe(false);
      expect((await run(alice, itemOf(sale, 3))).result).toEqual({ ok: false, error: expect.objectContaining({ code: 'sale_sold_out' }) });
      expect(world.soldOut.capReached(sale.id)).toBe(true);
    });

    it('then refuses every item of the sale through the ledger’s cheap check, not a full checkout, and counts it', async () => {
      await run(alice, itemOf(sale, 3));
      const fullCheckouts = world.ledger.calls.checkout;

      const answers = [await run(bob, itemOf(sale, 4)), await run(bob, itemOf(sale, 1))];

      expect(answers.map((a) => (a.result.ok ? 'ok' : a.result.error.code))).toEqual(['sale_sold_out', 'item_sold_out']);
      expect(world.ledger.calls.refuseSoldOut).toBe(2);
      expect(world.ledger.calls.checkout).toBe(fullCheckouts);
      expect(world.metrics.checkouts).toEqual(['sale_sold_out', 'sale_sold_out', 'item_sold_out']);
      expect((await world.ledger.stats(sale.id))?.checkouts).toEqual(expect.objectContaining({ sale_sold_out: 2, item_sold_out: 1 }));
    });

    it('leaves to the full checkout what the cap does not decide: an item already in the buyer’s checkout, a pause', async () => {
      const early = await run(alice, itemOf(sale, 3)); // refused: alice has no checkout yet
      expect(early.result.ok).toBe(false);
      await world.ledger.setPaused(sale.id, true);
      const paused = await run(bob, itemOf(sale, 4));
      await world.ledger.setPaused(sale.id, false);

      expect(paused.result).toEqual({ ok: false, error: expect.objectContaining({ code: 'sale_paused' }) });
      expect(world.ledger.calls.refuseSoldOut).toBe(1);
      expect(world.soldOut.capReached(sale.id)).toBe(true);
    });

    it('goes through the full checkout with an Idempotency-Key', async () => {
      await run(alice, itemOf(sale, 3));
      expect((await run(bob, itemOf(sale, 4), 'key-1')).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_sold_out' }),
      });
      expect(world.ledger.calls.refuseSoldOut).toBe(0);
    });
  });

  describe('in the open sale', () => {
    let sale: Sale;

    beforeEach(async () => {
      sale = anOpenSale({ items: 5, perUserLimit: 3 });
      await world.live(sale);
    });

    it('adds the item to a new checkout whose code names the sale; it lasts until the sale ends', async () => {
      const { result, replayed } = await run(alice, itemOf(sale, 1));

      expect(replayed).toBe(false);
      expect(result).toEqual({
        ok: true,
        value: {
          code: expect.stringMatching(new RegExp(`^${sale.id}-`)),
          saleId: sale.id,
          items: [itemOf(sale, 1)],
          expiresAt: sale.endsAt,
        },
      });
      expect(world.metrics.checkouts).toEqual(['accepted']);
    });

    it('adds more items to the same checkout', async () => {
      const first = await run(alice, itemOf(sale, 1));
      const second = await run(alice, itemOf(sale, 2));

      expect(second.result).toEqual({ ok: true, value: expect.objectContaining({ items: [itemOf(sale, 1), itemOf(sale, 2)] }) });
      expect(first.result.ok && second.result.ok && second.result.value.code).toBe(first.result.ok && first.result.value.code);
    });

    it('passes the ledger’s refusals on, with no Retry-After for final ones', async () => {
      for (const n of [1, 2, 3]) await run(alice, itemOf(sale, n));

      expect((await run(alice, itemOf(sale, 4))).result).toEqual({
        ok: false,
        error: { code: 'user_limit_reached', detail: expect.any(String) },
      });
      expect((await run(alice, NOT_AN_ITEM)).result).toEqual({ ok: false, error: { code: 'item_not_found', detail: expect.any(String) } });
      expect(world.metrics.checkouts).toEqual(['accepted', 'accepted', 'accepted', 'user_limit_reached', 'item_not_found']);
    });

    it('answers a paused sale with Retry-After: 1', async () => {
      await world.ledger.setPaused(sale.id, true);

      expect((await run(alice, itemOf(sale, 1))).result).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'sale_paused', retryAfterSeconds: 1 }),
      });
    });

    it('answers sale_not_started when the ledger’s clock has not reached the start the calendar has', async () => {
      // This instance's clock runs ahead of the ledger's (Redis's): the calendar sees the sale open.
      const ledgerClock = new FixedClock(new Date(sale.startsAt.getTime() - 2 * SECOND));
      const behind = new InMemoryLedger(ledgerClock);
      await behind.load(sale, stockOf(sale), [], 0);
      const { result } = await useCaseOn(world, behind).execute({ userId: alice, itemId: itemOf(sale, 1) });

      // The instance's clock says the sale has started, so it can only say "soon".
      expect(result).toEqual({ ok: false, error: expect.objectContaining({ code: 'sale_not_started', retryAfterSeconds: 1 }) });
    });

    describe('an item the ledger has refused as sold out', () => {
      beforeEach(async () => {
        await sellOut(sale, itemOf(sale, 1));
        world.metrics.checkouts.length = 0;
      });

      it('is learned from the ledger’s answer', async () => {
        expect(world.soldOut.has(sale.id, itemOf(sale, 1))).toBe(false);
        expect((await run(alice, itemOf(sale, 1))).result).toEqual({
          ok: false,
          error: expect.objectContaining({ code: 'item_sold_out' }),
        });
        expect(world.soldOut.has(sale.id, itemOf(sale, 1))).toBe(true);
      });

      it('is then refused through the ledger’s cheap sold-out check, not a full checkout, and counted', async () => {
        await run(alice, itemOf(sale, 1));
        const fullCheckouts = world.ledger.calls.checkout;

        const { result, replayed } = await run(bob, itemOf(sale, 1));

        expect(result).toEqual({ ok: false, error: { code: 'item_sold_out', detail: expect.any(String) } });
        expect(replayed).toBe(false);
        expect(world.ledger.calls.refuseSoldOut).toBe(1);
        expect(world.ledger.calls.checkout).toBe(fullCheckouts);
        expect(world.metrics.checkouts).toEqual(['item_sold_out', 'item_sold_out']);
      });

      it('runs the full checkout and is forgotten when the ledger no longer finds it sold out', async () => {
        await run(alice, itemOf(sale, 1));
        world.ledger.restock(sale.id, itemOf(sale, 1), 1); // stock rebuilt after Redis lost data

        const { result } = await run(bob, itemOf(sale, 1));

        expect(result).toEqual({ ok: true, value: expect.objectContaining({ items: [itemOf(sale, 1)] }) });
        expect(world.ledger.calls.refuseSoldOut).toBe(1);
        expect(world.soldOut.has(sale.id, itemOf(sale, 1))).toBe(false);
        expect(world.metrics.checkouts).toEqual(['item_sold_out', 'accepted']);
      });

      it('goes through the full checkout when the request has an Idempotency-Key, which stores the answer', async () => {
        await run(alice, itemOf(sale, 1));

        const first = await run(bob, itemOf(sale, 1), 'key-1');
        const again = await run(bob, itemOf(sale, 1), 'key-1');

        expect(world.ledger.calls.refuseSoldOut).toBe(0);
        expect(first).toEqual({ result: { ok: false, error: expect.objectContaining({ code: 'item_sold_out' }) }, replayed: false });
        expect(again).toEqual({ result: { ok: false, error: expect.objectContaining({ code: 'item_sold_out' }) }, replayed: true });
      });
    });

    describe('with an Idempotency-Key', () => {
      it('replays the first answer to a retry, and does nothing again', async () => {
        const first = await run(alice, itemOf(sale, 1), 'k');
        const retry = await run(alice, itemOf(sale, 1), 'k');

        expect(retry).toEqual({ result: first.result, replayed: true });
        expect(await world.ledger.stats(sale.id)).toEqual(expect.objectContaining({ checkouts: { accepted: 1 } }));
      });

      it('counts the attempt once, not on replays', async () => {
        await run(alice, itemOf(sale, 1), 'k');
        await run(alice, itemOf(sale, 1), 'k');
        await run(alice, itemOf(sale, 1), 'k');

        expect(world.metrics.checkouts).toEqual(['accepted']);
      });

      it('refuses the same key for another item as idempotency_key_reused', async () => {
        await run(alice, itemOf(sale, 1), 'k');

        expect(await run(alice, itemOf(sale, 2), 'k')).toEqual({
          result: { ok: false, error: expect.objectContaining({ code: 'idempotency_key_reused' }) },
          replayed: false,
        });
      });

      it('scopes keys to the user: two buyers who pick the same key never meet', async () => {
        const alices = await run(alice, itemOf(sale, 1), 'same-key');
        const bobs = await run(bob, itemOf(sale, 2), 'same-key');

        expect(bobs.replayed).toBe(false);
        expect(bobs.result).toEqual({ ok: true, value: expect.objectContaining({ items: [itemOf(sale, 2)] }) });
        expect(alices.result.ok && bobs.result.ok && alices.result.value.code !== bobs.result.value.code).toBe(true);
      });

      it('answers a key still being processed with idempotency_key_in_use and Retry-After: 1', async () => {
        world.ledger.holdIdempotencyKey(sale.id, idempotencyScope('checkout', 'alice', 'busy'), `item=${itemOf(sale, 1)}`);

        expect((await run(alice, itemOf(sale, 1), 'busy')).result).toEqual({
          ok: false,
          error: expect.objectContaining({ code: 'idempotency_key_in_use', retryAfterSeconds: 1 }),
        });
      });

      it('does not keep a refusal that may change by itself: after a pause the same request is processed afresh', async () => {
        await world.ledger.setPaused(sale.id, true);
        expect((await run(alice, itemOf(sale, 1), 'k')).result).toEqual({
          ok: false,
          error: expect.objectContaining({ code: 'sale_paused' }),
        });
        await world.ledger.setPaused(sale.id, false);

        expect(await run(alice, itemOf(sale, 1), 'k')).toEqual({ result: expect.objectContaining({ ok: true }), replayed: false });
      });
    });
  });

  it('checks out in the sale that is open now, not in one the calendar holds for later', async () => {
    const open = aSale({ opensInMs: -10 * MINUTE, durationMs: 20 * MINUTE });
    const later = aSaleOpeningIn(10 * MINUTE, { durationMs: 20 * MINUTE });
    await world.live(open, later);

    const { result } = await run(alice, itemOf(open, 3));

    expect(result).toEqual({ ok: true, value: expect.objectContaining({ saleId: open.id }) });
    expect(await world.ledger.stats(later.id)).toEqual(expect.objectContaining({ checkouts: {} }));
  });
});
