import { CheckoutCode, composeCheckoutCode } from '../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { checkoutVerdict, purchaseItemVerdict, PurchaseFailureReason } from '../../src/domain/sale/sale-rules';
import { SaleWindow } from '../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { LedgerCheckoutResult } from '../../src/application/checkout/checkout-ledger.port';
import { LedgerPurchaseResult } from '../../src/application/purchase/purchase-ledger.port';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { LedgerSettings } from '../../src/infrastructure/redis/ledger-settings';
import { RedisCheckoutLedger } from '../../src/infrastructure/redis/redis-checkout-ledger';
import { RedisPurchaseLedger } from '../../src/infrastructure/redis/redis-purchase-ledger';
import { RedisSaleLedgerLoader } from '../../src/infrastructure/redis/redis-sale-ledger-loader';
import { wipeState } from '../support/test-env';

/*
 * The Lua scripts must apply exactly the rules written in src/domain/sale/sale-rules.ts. This drives the real
 * scripts and a plain in-memory model built on those rules with the same long random sequences of
 * checkouts and purchases, and requires identical answers at every step.
 */

interface ModelCheckout {
  user: string;
  items: ItemId[];
  result?: LedgerPurchaseResult;
}

class ModelLedger {
  private readonly left = new Map<number, number>();
  private readonly bought = new Map<string, number>();
  private readonly open = new Map<string, CheckoutCode>();
  private readonly purchases = new Map<string, number>();
  private readonly checkouts = new Map<string, ModelCheckout>();
  private sold = 0;

  constructor(
    items: { id: ItemId; unitsLeft: number }[],
    private readonly cap: number,
    private readonly limit: number,
    private readonly onePurchase: boolean,
  ) {
    for (const i of items) this.left.set(i.id, i.unitsLeft);
  }

  checkout(user: UserId, item: ItemId, codeIfNew: CheckoutCode): LedgerCheckoutResult {
    const code = this.open.get(user);
    const current = code ? this.checkouts.get(code)! : { user, items: [] };
    const verdict = checkoutVerdict({
      phase: 'open',
      paused: false,
      unitsLeft: this.left.has(item) ? this.left.get(item)! : null,
      saleSold: this.sold,
      saleCap: this.cap,
      alreadyInCheckout: current.items.includes(item),
      userBought: this.bought.get(user) ?? 0,
      itemsInCheckout: current.items.length,
      perUserLimit: this.limit,
      onePurchasePerUser: this.onePurchase,
      userPurchases: this.purchases.get(user) ?? 0,
    });
    if (verdict !== 'add' && verdict !== 'unchanged') return { kind: 'rejected', reason: verdict };
    const finalCode = code ?? codeIfNew;
    if (verdict === 'add') current.items.push(item);
    this.checkouts.set(finalCode, current);
    this.open.set(user, finalCode);
    return { kind: 'ok', code: finalCode, items: [...current.items], expiresAt: new Date(0), added: verdict === 'add' };
  }

  purchase(code: CheckoutCode, orderId: string): LedgerPurchaseResult {
    const c = this.checkouts.get(code);
    if (!c) return { kind: 'rejected', reason: 'checkout_not_found' };
    if (c.result) return { ...c.result, firstTime: false } as LedgerPurchaseResult;
    const purchased: ItemId[] = [];
    const failed: { id: ItemId; reason: PurchaseFailureReason }[] = [];
    const purchasedBefore = this.onePurchase && (this.purchases.get(c.user) ?? 0) > 0;
    for (const item of c.items) {
      const verdict = purchaseItemVerdict({
        unitsLeft: this.left.get(item)!,
        userBought: this.bought.get(c.user) ?? 0,
        perUserLimit: this.limit,
        saleSold: this.sold,
        saleCap: this.cap,
        purchasedBefore,
      });
      if (verdict !== 'buy') {
        failed.push({ id: item, reason: verdict });
        continue;
      }
      this.left.set(item, this.left.get(item)! - 1);
      this.bought.set(c.user, (this.bought.get(c.user) ?? 0) + 1);
      this.sold++;
      purchased.push(item);
    }
    if (purchased.length > 0) this.purchases.set(c.user, (this.purchases.get(c.user) ?? 0) + 1);
    c.result = { kind: 'done', firstTime: true, orderId: purchased.length ? orderId : null, purchased, failed };
    if (this.open.get(c.user) === code) this.open.delete(c.user);
    return c.result;
  }
}

describe('the Lua scripts and the domain rules', () => {
  let redis: RedisConnections;
  let ledger: { checkout: RedisCheckoutLedger; purchase: RedisPurchaseLedger; loader: RedisSaleLedgerLoader };

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
    };
  });

  afterAll(async () => {
    await redis.onApplicationShutdown();
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
    const model = new ModelLedger(items, cap, limit, onePurchasePerUser);
    const users = ['u1', 'u2', 'u3', 'u4'] as UserId[];
    const codes: CheckoutCode[] = [];

    for (let step = 0; step < 300; step++) {
      if (random(3) < 2) {
        const user = users[random(users.length)]!;
        const item = (random(8) + 1) as ItemId; // 7 and 8 are not in the sale
        const fresh = composeCheckoutCode(saleId, `seed${seed}step${step}xxxxxxxx`);
        const { result: real } = await ledger.checkout.checkout(saleId, user, item, fresh, null);
        const expected = model.checkout(user, item, fresh);
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
        expect({ step, op: 'purchase', code, result: real }).toEqual({ step, op: 'purchase', code, result: model.purchase(code, orderId) });
      }
    }
  });
});
