import { CheckoutCode, composeCheckoutCode } from '../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { SaleWindow } from '../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { LedgerSettings } from '../../src/infrastructure/redis/ledger-settings';
import { RedisCheckoutLedger } from '../../src/infrastructure/redis/redis-checkout-ledger';
import { RedisPurchaseLedger } from '../../src/infrastructure/redis/redis-purchase-ledger';
import { RedisSaleLedgerLoader } from '../../src/infrastructure/redis/redis-sale-ledger-loader';
import { RedisAcknowledgedOrders } from '../../src/infrastructure/redis/redis-acknowledged-orders';
import { RedisCheckoutAttemptLog } from '../../src/infrastructure/redis/redis-checkout-attempt-log';
import { SalePauseSwitch } from '../../src/application/sales/sale-pause-switch.port';
import { SaleReadModel } from '../../src/application/sales/sale-read-model.port';
import { RedisSalePauseSwitch } from '../../src/infrastructure/redis/redis-sale-pause-switch';
import { RedisSaleReadModel } from '../../src/infrastructure/redis/redis-sale-read-model';
import { RedisPurchaseOutbox } from '../../src/infrastructure/order-pipeline/redis-purchase-outbox';
import { saleKeys } from '../../src/infrastructure/redis/sale-keys';
import { Order } from '../../src/domain/order/order.entity';
import { IdempotencyRequest } from '../../src/application/shared/idempotency';
import { FixedClock } from '../support/doubles/fixed-clock';
import { InMemoryCheckoutAttemptLog, attemptsOfSale, unfold } from '../support/doubles/in-memory-checkout-attempt-log';
import { InMemoryLedger } from '../support/doubles/in-memory-ledger';
import { InMemoryPurchaseOutbox } from '../support/doubles/in-memory-purchase-outbox';
import { wipeState } from '../support/test-env';

/*
 * The Lua scripts must apply exactly the rules written in src/domain/sale/sale-rules.ts. This drives the real
 * scripts and the in-memory ledger the unit tests use (test/support/doubles/in-memory-ledger.ts, built on
 * those rules) with the same long random sequences of checkouts and purchases, and requires identical
 * answers at every step. So the scripts cannot drift from the rules, and the unit tests' double cannot drift
 * from the scripts.
 */

describe('the Lua scripts and the domain rules', () => {
  let redis: RedisConnections;
  let ledger: {
    checkout: RedisCheckoutLedger;
    purchase: RedisPurchaseLedger;
    loader: RedisSaleLedgerLoader;
    readModel: RedisSaleReadModel;
    pauseSwitch: RedisSalePauseSwitch;
    acknowledged: RedisAcknowledgedOrders;
    outbox: RedisPurchaseOutbox;
    attempts: RedisCheckoutAttemptLog;
  };

  beforeAll(async () => {
    await wipeState();
    const config = loadConfig(process.env);
    redis = new RedisConnections(config);
    await redis.onModuleInit();
    const settings = new LedgerSettings(config);
    ledger = {
      checkout: new RedisCheckoutLedger(redis, settings),
      purchase: new RedisPurchaseLedger(redis, settings),
      loader: new RedisSaleLedgerLoader(redis, settings),
      readModel: new RedisSaleReadModel(redis),
      pauseSwitch: new RedisSalePauseSwitch(redis),
      acknowledged: new RedisAcknowledgedOrders(redis),
      outbox: new RedisPurchaseOutbox(redis),
      attempts: new RedisCheckoutAttemptLog(redis),
    };
  });

  afterAll(async () => {
    await redis.onApplicationShutdown();
  });

  it('publishes a sale loaded paused as paused, as a checkout finds it, and a second load changes nothing', async () => {
    const now = Date.now();
    const saleId = 4004 as SaleId;
    const items = [11, 12].map((i) => ({ id: i as ItemId, unitsLeft: 1 }));
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), {
      itemsTotal: 2,
      saleCap: 2,
      perUserLimit: 2,
      unitsPerItem: 1,
      onePurchasePerUser: false,
    });
    const model = new InMemoryLedger(new FixedClock(new Date(now)));
    const checkout = async (m: typeof model | RedisCheckoutLedger) =>
      (await m.checkout(saleId, 'p1' as UserId, 11 as ItemId, composeCheckoutCode(saleId, 'pausedloadxxxxxxxxxxxx'), null)).result;

    expect([await ledger.loader.load(sale, items, [], 0, true), await model.load(sale, items, [], 0, true)]).toEqual([true, true]);
    expect(await ledger.readModel.liveState(saleId)).toMatchObject({ sold: 0, paused: true });
    expect(await ledger.readModel.liveState(saleId)).toEqual(await model.liveState(saleId));
    expect(await checkout(ledger.checkout)).toEqual(await checkout(model));
    expect(await checkout(ledger.checkout)).toMatchObject({ kind: 'rejected', reason: 'sale_paused' });

    // Loading again unpaused (another instance that read PostgreSQL earlier) leaves the pause alone.
    expect([await ledger.loader.load(sale, items, [], 0, false), await model.load(sale, items, [], 0, false)]).toEqual([false, false]);
    expect(await ledger.readModel.liveState(saleId)).toMatchObject({ sold: 0, paused: true });
    expect(await model.liveState(saleId)).toMatchObject({ sold: 0, paused: true });
  });

  it("pauses for the keeper only if the sale's switches are still the ones it read, as the in-memory ledger does", async () => {
    const now = Date.now();
    const saleId = 4005 as SaleId;
    const items = [21].map((i) => ({ id: i as ItemId, unitsLeft: 1 }));
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), {
      itemsTotal: 1,
      saleCap: 1,
      perUserLimit: 1,
      unitsPerItem: 1,
      onePurchasePerUser: false,
    });
    const model = new InMemoryLedger(new FixedClock(new Date(now)));
    const both = async <T>(op: (m: { pauseSwitch: SalePauseSwitch; readModel: SaleReadModel }) => Promise<T>) => {
      const answers = [await op(ledger), await op({ pauseSwitch: model, readModel: model })];
      expect(await ledger.readModel.liveState(saleId)).toEqual(await model.liveState(saleId));
      return answers;
    };

    expect(await both((m) => m.pauseSwitch.pauseUnlessSwitched(saleId, 0))).toEqual(['not_loaded', 'not_loaded']);
    expect([await ledger.loader.load(sale, items, [], 0), await model.load(sale, items, [], 0)]).toEqual([true, true]);
    expect(await ledger.readModel.liveState(saleId)).toEqual({ sold: 0, paused: false, switches: 0 });
    // An operator pauses and resumes after the keeper read 0: its repair is not made.
    await both((m) => m.pauseSwitch.setPaused(saleId, true));
    await both((m) => m.pauseSwitch.setPaused(saleId, false));
    expect(await both((m) => m.pauseSwitch.pauseUnlessSwitched(saleId, 0))).toEqual(['switched', 'switched']);
    expect(await ledger.readModel.liveState(saleId)).toEqual({ sold: 0, paused: false, switches: 2 });
    // Read afresh (2), it is.
    expect(await both((m) => m.pauseSwitch.pauseUnlessSwitched(saleId, 2))).toEqual(['paused', 'paused']);
    expect(await ledger.readModel.liveState(saleId)).toEqual({ sold: 0, paused: true, switches: 3 });
  });

  it("answers a purchase after the sale's end in its batched check exactly as purchase.lua then does", async () => {
    // The random histories below run on an open sale; this one ends on Redis's clock a moment after its
    // checkouts, so the check's sale_ended meets purchase.lua's own.
    const now = Date.now();
    const saleId = 4001 as SaleId;
    const items = [1, 2, 3].map((i) => ({ id: i as ItemId, unitsLeft: 1 }));
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 400)), {
      itemsTotal: 3,
      saleCap: 3,
      perUserLimit: 3,
      unitsPerItem: 1,
      onePurchasePerUser: false,
    });
    expect(await ledger.loader.load(sale, items, [], 0)).toBe(true);
    const codeOf = async (user: string, item: number) => {
      const { result } = await ledger.checkout.checkout(
        saleId,
        user as UserId,
        item as ItemId,
        composeCheckoutCode(saleId, `ended${user}xxxxxxxxxxxxxxx`),
        null,
      );
      if (result.kind !== 'ok') throw new Error(`checkout refused: ${result.reason}`);
      return result.code;
    };
    const spent = await codeOf('a', 1);
    expect((await ledger.purchase.purchase(saleId, spent, 'order-ended-1', null, null)).result.kind).toBe('done');
    const open = await codeOf('b', 2);
    await new Promise((resolve) => setTimeout(resolve, now + 400 - Date.now() + 50));

    const unknown = composeCheckoutCode(saleId, 'neverissuedxxxxxxxxxxx');
    const asked: Array<[CheckoutCode, UserId | null]> = [
      [spent, null],
      [spent, 'a' as UserId],
      [spent, 'b' as UserId],
      [open, null],
      [open, 'b' as UserId],
      [open, 'a' as UserId],
      [unknown, null],
    ];
    const checked = await Promise.all(asked.map(([code, buyer]) => ledger.purchase.refuseEnded(saleId, code, buyer)));
    expect(checked).toEqual([null, null, 'checkout_not_found', 'sale_ended', 'sale_ended', 'checkout_not_found', 'checkout_not_found']);
    for (const [i, [code, buyer]] of asked.entries()) {
      const full = (await ledger.purchase.purchase(saleId, code, `order-ended-x${i}`, null, buyer)).result;
      // Where the check refuses, purchase.lua refuses alike; where it does not, purchase.lua answers the stored order.
      if (checked[i]) expect({ i, full }).toEqual({ i, full: { kind: 'rejected', reason: checked[i] } });
      else expect({ i, full }).toEqual({ i, full: expect.objectContaining({ kind: 'done', firstTime: false, orderId: 'order-ended-1' }) });
    }
  });

  it("agree when a turn's checkouts and purchases go to Redis together (several script calls each), in the order sent", async () => {
    // Checkouts and purchases without an Idempotency-Key made in one turn share checkout-batch.lua and
    // purchase-batch.lua calls: each must answer exactly what the model answers applying them one by one.
    let state = 4242;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((state / 2 ** 31) * n);
    };
    const saleId = 4002 as SaleId;
    const items = Array.from({ length: 6 }, (_, i) => ({ id: (i + 1) as ItemId, unitsLeft: 1 + (i % 3) }));
    const now = Date.now();
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), {
      itemsTotal: items.length,
      saleCap: 9,
      perUserLimit: 3,
      unitsPerItem: 3,
      onePurchasePerUser: false,
    });
    const clock = new FixedClock(new Date(now));
    const attempts = new InMemoryCheckoutAttemptLog(clock);
    const model = new InMemoryLedger(clock, { attempts });
    await ledger.loader.load(sale, items, [], 0);
    await model.load(sale, items, [], 0);
    const users = ['t1', 't2', 't3', 't4', 't5'] as UserId[];

    const checkouts = Array.from({ length: 60 }, (_, i) => ({
      user: users[random(users.length)]!,
      item: (random(7) + 1) as ItemId, // 7 is not in the sale
      fresh: composeCheckoutCode(saleId, `turn${i}xxxxxxxxxxxxxxxxxx`),
    }));
    const real = await Promise.all(checkouts.map((c) => ledger.checkout.checkout(saleId, c.user, c.item, c.fresh, null)));
    const expected = [];
    for (const c of checkouts) expected.push(await model.checkout(saleId, c.user, c.item, c.fresh, null));
    expect(real).toEqual(expected);
    // Every outcome the rules can give here was reached, or agreeing would prove little.
    expect(real.map((a) => (a.result.kind === 'ok' ? `ok:${a.result.added}` : a.result.reason))).toEqual(
      expect.arrayContaining(['ok:true', 'ok:false', 'item_not_found', 'user_limit_reached']),
    );

    const codes = [...new Set(real.flatMap((a) => (a.result.kind === 'ok' ? [a.result.code] : [])))];
    const purchases = Array.from({ length: 40 }, (_, i) => ({
      code: random(6) === 0 ? composeCheckoutCode(saleId, 'neverissuedxxxxxxxxxxx') : codes[random(codes.length)]!,
      orderId: `order-turn-${i}`,
      buyer: random(4) === 0 ? users[random(users.length)]! : null,
    }));
    const bought = await Promise.all(purchases.map((p) => ledger.purchase.purchase(saleId, p.code, p.orderId, null, p.buyer)));
    const modelBought = [];
    for (const p of purchases) modelBought.push(await model.purchase(saleId, p.code, p.orderId, null, p.buyer));
    expect(bought).toEqual(modelBought);
    expect(
      bought.map((a) => (a.result.kind === 'done' ? `done:${a.result.firstTime}:${a.result.failed.length > 0}` : a.result.reason)),
    ).toEqual(expect.arrayContaining(['done:true:false', 'done:true:true', 'done:false:false', 'checkout_not_found']));

    // The state afterwards, and the attempts logged (in the order sent), are the model's too.
    const itemIds = Array.from({ length: 7 }, (_, i) => (i + 1) as ItemId);
    const read = async (m: typeof model | RedisSaleReadModel) => ({
      live: await m.liveState(saleId),
      stats: await m.stats(saleId),
      left: await m.unitsLeft(saleId, itemIds),
      bought: await Promise.all(users.map((u) => m.unitsBoughtBy(saleId, u))),
    });
    expect(await read(ledger.readModel)).toEqual(await read(model));
    const logged = unfold((await ledger.attempts.read(saleKeys(saleId).attempts, 10_000)).entries).map((a) => [
      a.userId,
      a.itemId,
      a.result,
    ]);
    expect(logged).toEqual(attempts.waiting(attemptsOfSale(saleId)).map((a) => [a.userId, a.itemId, a.result]));
  });

  /** An open sale (an hour left) loaded into Redis: items 1..itemsTotal, each with all its units. */
  async function loadOpenSale(
    saleId: SaleId,
    terms: { itemsTotal: number; saleCap: number; perUserLimit: number; unitsPerItem: number },
  ): Promise<void> {
    const now = Date.now();
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), {
      ...terms,
      onePurchasePerUser: false,
    });
    const items = Array.from({ length: terms.itemsTotal }, (_, i) => ({ id: (i + 1) as ItemId, unitsLeft: terms.unitsPerItem }));
    await ledger.loader.load(sale, items, [], 0);
  }

  it('fail only the call whose step fails when a turn goes to Redis together, and log the rest', async () => {
    const saleId = 4003 as SaleId;
    await loadOpenSale(saleId, { itemsTotal: 3, saleCap: 10, perUserLimit: 3, unitsPerItem: 3 });
    const code = (user: string) => composeCheckoutCode(saleId, `broken${user}xxxxxxxxxxxxxx`);
    const first = await Promise.all(['a', 'b', 'c'].map((u) => ledger.checkout.checkout(saleId, u as UserId, 1 as ItemId, code(u), null)));
    expect(first.map((a) => a.result.kind)).toEqual(['ok', 'ok', 'ok']);
    // b's checkout record is corrupt (a bug, never input): cjson fails on it inside b's step.
    await redis.command.hset(saleKeys(saleId).checkouts, code('b'), 'not json');
    await redis.command.del(saleKeys(saleId).attempts);

    const checkouts = await Promise.allSettled(
      ['a', 'b', 'c'].map((u) => ledger.checkout.checkout(saleId, u as UserId, 2 as ItemId, code(u), null)),
    );
    expect(checkouts.map((c) => c.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(checkouts[1]).toMatchObject({ reason: { name: 'ScriptStepFailed' } });
    expect(checkouts.map((c) => (c.status === 'fulfilled' ? c.value.result : null))).toEqual([
      expect.objectContaining({ kind: 'ok', items: [1, 2], added: true }),
      null,
      expect.objectContaining({ kind: 'ok', items: [1, 2], added: true }),
    ]);
    const logged = unfold((await ledger.attempts.read(saleKeys(saleId).attempts, 100)).entries).map((a) => [a.userId, a.result]);
    expect(logged).toEqual([
      ['a', 'accepted'],
      ['c', 'accepted'],
    ]);

    const purchases = await Promise.allSettled(
      ['a', 'b', 'c'].map((u, i) => ledger.purchase.purchase(saleId, code(u), `order-broken-${i}`, null, null)),
    );
    expect(purchases.map((p) => p.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(purchases[1]).toMatchObject({ reason: { name: 'ScriptStepFailed' } });
    // What a and c bought counts, in the stock, the sale's tally and the stats, though b's step failed between them.
    expect(await ledger.readModel.unitsLeft(saleId, [1, 2, 3] as ItemId[])).toEqual([1, 1, 3]);
    expect(await ledger.readModel.liveState(saleId)).toEqual(expect.objectContaining({ sold: 4 }));
    expect(await ledger.readModel.stats(saleId)).toEqual(expect.objectContaining({ purchasesAcknowledged: 2, unitsPurchased: 4 }));
  });

  it('change nothing when a purchase fails on a corrupt stock field, not even the items read before it', async () => {
    const saleId = 4006 as SaleId;
    await loadOpenSale(saleId, { itemsTotal: 2, saleCap: 10, perUserLimit: 5, unitsPerItem: 3 });
    const code = composeCheckoutCode(saleId, 'corruptstockxxxxxxxxxxxx');
    for (const item of [1, 2]) await ledger.checkout.checkout(saleId, 'dora' as UserId, item as ItemId, code, null);
    await redis.command.hset(saleKeys(saleId).stock, '2', 'three');
    const before = { outbox: await redis.command.xlen(saleKeys(saleId).outbox), sold: (await ledger.readModel.liveState(saleId))?.sold };

    for (const idempotency of [null, { key: 'corrupt-stock', fingerprint: `code=${code}` }])
      await expect(ledger.purchase.purchase(saleId, code, 'order-corrupt', idempotency, null)).rejects.toThrow(/unreadable stock/);
    expect(await redis.command.hget(saleKeys(saleId).stock, '1')).toBe('3');
    expect({ outbox: await redis.command.xlen(saleKeys(saleId).outbox), sold: (await ledger.readModel.liveState(saleId))?.sold }).toEqual(
      before,
    );
    expect(JSON.parse((await redis.command.hget(saleKeys(saleId).checkouts, code))!).s).toBe('open');
  });

  it.each([
    [1, false],
    [2, false],
    [3, false],
    [4, true],
    [5, true],
    [6, true],
  ])('agree on a random history (seed %i, one purchase per user: %s)', async (seed, onePurchasePerUser) => {
    let state = seed * 7919;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((state / 2 ** 31) * n);
    };
    const saleId = (1000 + seed) as SaleId;
    const items = Array.from({ length: 6 }, (_, i) => ({ id: (i + 1) as ItemId, unitsLeft: 1 + (i % 3) }));
    const cap = 7;
    const limit = 3;
    const now = Date.now();
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), {
      itemsTotal: items.length,
      saleCap: cap,
      perUserLimit: limit,
      unitsPerItem: 3,
      onePurchasePerUser,
    });
    await ledger.loader.load(sale, items, [], 0);
    const model = new InMemoryLedger(new FixedClock(new Date(now)));
    await model.load(sale, items, [], 0);
    const users = ['u1', 'u2', 'u3', 'u4'] as UserId[];
    const codes: CheckoutCode[] = [];

    for (let step = 0; step < 300; step++) {
      if (random(3) < 2) {
        const user = users[random(users.length)]!;
        const item = (random(8) + 1) as ItemId; // 7 and 8 are not in the sale
        const fresh = composeCheckoutCode(saleId, `seed${seed}step${step}xxxxxxxx`);
        const { result: real } = await ledger.checkout.checkout(saleId, user, item, fresh, null);
        const { result: expected } = await model.checkout(saleId, user, item, fresh, null);
        if (real.kind === 'ok') codes.push(real.code);
        expect({ step, op: 'checkout', user, item, result: { ...real, expiresAt: undefined } }).toEqual({
          step,
          op: 'checkout',
          user,
          item,
          result: { ...expected, expiresAt: undefined },
        });
      } else {
        const code = codes.length && random(5) > 0 ? codes[random(codes.length)]! : composeCheckoutCode(saleId, 'neverissuedxxxxxxxxxxx');
        const orderId = `order-${seed}-${step}`;
        const { result: real } = await ledger.purchase.purchase(saleId, code, orderId, null, null);
        const { result: expected } = await model.purchase(saleId, code, orderId, null, null);
        expect({ step, op: 'purchase', code, result: real }).toEqual({ step, op: 'purchase', code, result: expected });
      }
    }
  });

  /*
   * The same, with everything else the double claims to do as the scripts do: Idempotency-Keys (replay,
   * reuse for another request, transient refusals releasing the key), buyers who must own the code, pauses,
   * the batched sold-out refusal, a sale not started and one never loaded; and afterwards the same state as
   * the application reads it (live state, stats, stock, tallies, acknowledged orders, outbox, attempts).
   */
  // Seeds whose histories reach every case listed below (not every seed does, which the check would say).
  it.each([
    [11, false],
    [15, false],
    [16, true],
    [17, true],
    [26, true],
  ])('agree on a random history with keys, buyers and pauses (seed %i, one purchase per user: %s)', async (seed, onePurchasePerUser) => {
    let state = seed * 7919;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((state / 2 ** 31) * n);
    };
    const saleId = (1000 + seed) as SaleId;
    const laterSaleId = (2000 + seed) as SaleId; // loaded, opens in an hour
    const unknownSaleId = (3000 + seed) as SaleId; // never loaded
    const items = Array.from({ length: 6 }, (_, i) => ({ id: (i + 1) as ItemId, unitsLeft: 1 + (i % 3) }));
    // The later sale has items with no units left: the sold-out check must still say the sale is not open.
    const laterItems = items.map((it, i) => ({ ...it, unitsLeft: i % 2 }));
    const now = Date.now();
    const terms = { itemsTotal: items.length, saleCap: 8, perUserLimit: 3, unitsPerItem: 3, onePurchasePerUser };
    const sale = Sale.restore(saleId, SaleWindow.of(new Date(now - 1000), new Date(now + 3_600_000)), terms);
    const later = Sale.restore(laterSaleId, SaleWindow.of(new Date(now + 3_600_000), new Date(now + 7_200_000)), terms);
    const clock = new FixedClock(new Date(now));
    const outbox = new InMemoryPurchaseOutbox(clock);
    const attempts = new InMemoryCheckoutAttemptLog(clock);
    const model = new InMemoryLedger(clock, { outbox, attempts });
    for (const [s, stock] of [
      [sale, items],
      [later, laterItems],
    ] as const) {
      expect(await ledger.loader.load(s, stock, [], 0)).toBe(true);
      expect(await model.load(s, stock, [], 0)).toBe(true);
    }

    const users = ['u1', 'u2', 'u3', 'u4'] as UserId[];
    const codes: CheckoutCode[] = [];
    const key = (kind: string, fingerprint: string): IdempotencyRequest | null =>
      random(2) === 0 ? null : { key: `${kind}:k${random(6)}`, fingerprint };
    // What the history went through: it must reach every case, or agreeing proves nothing about that case.
    const covered = new Set<string>();
    const cover = (op: string, answer: { result: { kind: string; reason?: string }; replayed: boolean }) =>
      covered.add(`${op}:${answer.result.reason ?? answer.result.kind}${answer.replayed ? ':replayed' : ''}`);

    for (let step = 0; step < 400; step++) {
      const op = random(20);
      if (op < 10) {
        const user = users[random(users.length)]!;
        const item = (random(8) + 1) as ItemId; // 7 and 8 are not in the sale
        const where = random(12) === 0 ? laterSaleId : random(12) === 0 ? unknownSaleId : saleId;
        const fresh = composeCheckoutCode(where, `seed${seed}step${step}xxxxxxxx`);
        const idem = key(`checkout:${user}`, `item=${item}`);
        const real = await ledger.checkout.checkout(where, user, item, fresh, idem);
        const expected = await model.checkout(where, user, item, fresh, idem);
        if (real.result.kind === 'ok' && where === saleId) codes.push(real.result.code);
        cover('checkout', real);
        expect({ step, op: 'checkout', where, user, item, idem, answer: real }).toEqual({
          step,
          op: 'checkout',
          where,
          user,
          item,
          idem,
          answer: expected,
        });
      } else if (op < 17) {
        const code = codes.length && random(5) > 0 ? codes[random(codes.length)]! : composeCheckoutCode(saleId, 'neverissuedxxxxxxxxxxx');
        const buyer = random(3) === 0 ? null : users[random(users.length)]!;
        const orderId = `order-${seed}-${step}`;
        const idem = key(buyer ? `purchase:${buyer}` : 'purchase', `code=${code}`);
        // The batched check for purchases after the end writes nothing, so asking it first changes no history;
        // the sale is open here, so it may only refuse an unknown code (or someone else's), never as sale_ended.
        const ended = await ledger.purchase.refuseEnded(saleId, code, buyer);
        covered.add(`refuseEnded:${ended}`);
        expect({ step, op: 'refuseEnded', code, buyer, refused: ended }).toEqual({
          step,
          op: 'refuseEnded',
          code,
          buyer,
          refused: await model.refuseEnded(saleId, code, buyer),
        });
        const real = await ledger.purchase.purchase(saleId, code, orderId, idem, buyer);
        const expected = await model.purchase(saleId, code, orderId, idem, buyer);
        cover('purchase', real);
        if (real.result.kind === 'done' && !real.result.firstTime) covered.add('purchase:spent-again');
        expect({ step, op: 'purchase', code, buyer, idem, answer: real }).toEqual({
          step,
          op: 'purchase',
          code,
          buyer,
          idem,
          answer: expected,
        });
      } else if (op < 19) {
        const user = users[random(users.length)]!;
        const item = (random(8) + 1) as ItemId;
        const where = random(4) === 0 ? laterSaleId : saleId;
        const real = await ledger.checkout.refuseSoldOut(where, user, item);
        const expected = await model.refuseSoldOut(where, user, item);
        covered.add(`refuseSoldOut:${where === saleId ? 'open' : 'later'}:${real}`);
        expect({ step, op: 'refuseSoldOut', where, user, item, refused: real }).toEqual({
          step,
          op: 'refuseSoldOut',
          where,
          user,
          item,
          refused: expected,
        });
      } else {
        const paused = random(3) === 0; // paused about a third of the time
        const where = random(10) === 0 ? unknownSaleId : saleId;
        expect({ step, op: 'setPaused', where, done: await ledger.pauseSwitch.setPaused(where, paused) }).toEqual({
          step,
          op: 'setPaused',
          where,
          done: await model.setPaused(where, paused),
        });
      }
    }

    expect([...covered].sort()).toEqual(
      expect.arrayContaining([
        'checkout:ok',
        'checkout:ok:replayed',
        'checkout:idempotency_key_reused',
        'checkout:item_sold_out',
        'checkout:item_not_found',
        'checkout:user_limit_reached',
        'checkout:sale_sold_out',
        'checkout:sale_paused',
        'checkout:sale_not_started',
        'checkout:no_active_sale',
        'purchase:done',
        'purchase:done:replayed',
        'purchase:spent-again',
        'purchase:checkout_not_found',
        'purchase:idempotency_key_reused',
        'purchase:sale_paused',
        'refuseSoldOut:open:item_sold_out',
        'refuseSoldOut:open:sale_sold_out',
        'refuseSoldOut:open:null',
        'refuseSoldOut:later:null',
        'refuseEnded:checkout_not_found',
        'refuseEnded:null',
      ]),
    );

    // Loading again (another instance, a rebuild from PostgreSQL) says so and undoes nothing sold meanwhile.
    const buyers = users.map((userId) => ({ userId, units: 0, purchases: 0 }));
    expect(await ledger.loader.load(sale, items, buyers, 0)).toBe(false);
    expect(await model.load(sale, items, buyers, 0)).toBe(false);

    // What the application reads afterwards is the same too.
    const itemIds = Array.from({ length: 8 }, (_, i) => (i + 1) as ItemId);
    for (const id of [saleId, laterSaleId, unknownSaleId]) {
      const read = async (m: typeof model | RedisSaleReadModel) => ({
        loaded: await m.isLoaded(id),
        live: await m.liveState(id),
        stats: await m.stats(id),
        left: await m.unitsLeft(id, itemIds),
        bought: await Promise.all(users.map((u) => m.unitsBoughtBy(id, u))),
      });
      expect({ saleId: id, ...(await read(ledger.readModel)) }).toEqual({ saleId: id, ...(await read(model)) });
    }
    const withoutTime = (orders: Order[]) => orders.map(({ purchasedAt: _at, ...o }) => o);
    const acknowledged = async (source: AsyncIterable<Order[]>) => {
      const all: Order[] = [];
      for await (const chunk of source) all.push(...chunk);
      return withoutTime(all).sort((a, b) => a.id.localeCompare(b.id));
    };
    expect(await acknowledged(ledger.acknowledged.ofSale(saleId))).toEqual(await acknowledged(model.ofSale(saleId)));
    expect(withoutTime((await ledger.outbox.read(saleId, 10_000)).orders)).toEqual(withoutTime(outbox.orders(saleId)));
    for (const id of [saleId, laterSaleId, unknownSaleId]) {
      const logged = unfold((await ledger.attempts.read(saleKeys(id).attempts, 10_000)).entries).map((a) => [a.userId, a.itemId, a.result]);
      expect({ saleId: id, attempts: logged }).toEqual({
        saleId: id,
        attempts: attempts.waiting(attemptsOfSale(id)).map((a) => [a.userId, a.itemId, a.result]),
      });
    }
  });
});
