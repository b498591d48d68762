import request from 'supertest';
import { CheckoutCode } from '../../src/domain/checkout/checkout-code.value-object';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { LedgerSettings } from '../../src/infrastructure/redis/ledger-settings';
import { RedisCheckoutLedger } from '../../src/infrastructure/redis/redis-checkout-ledger';
import { RedisPurchaseLedger } from '../../src/infrastructure/redis/redis-purchase-ledger';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { rawRedis, streamEntriesAdded, wipeState } from '../support/test-env';

/*
 * A Redis client may send a command again when the connection drops before the reply arrives (ioredis does
 * by default). For the sale scripts that must be harmless: the second run answers what the first one did and
 * does nothing again, with or without an Idempotency-Key. Here every run of a work script (and of a key's
 * claim) is really sent twice, the first reply thrown away, exactly as a resend after a lost reply looks to
 * Redis.
 */

let t: TestApp;
let redis: RedisConnections;
let ledger: { checkout: RedisCheckoutLedger['checkout']; purchase: RedisPurchaseLedger['purchase'] };
let saleId: SaleId;
let items: number[];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp();
  const sale = await createOpenSale(t, { itemsTotal: 4 });
  saleId = sale.id as SaleId;
  items = await itemIdsOf(t, sale);
  const config = loadConfig(process.env);
  redis = new RedisConnections(config);
  await redis.onModuleInit();
  const settings = new LedgerSettings(config);
  const checkout = new RedisCheckoutLedger(redis, settings);
  const purchase = new RedisPurchaseLedger(redis, settings);
  ledger = { checkout: checkout.checkout.bind(checkout), purchase: purchase.purchase.bind(purchase) };
  // Every checkout and purchase script, and every claim of an Idempotency-Key, runs twice; the caller gets
  // the second reply.
  const command = redis.command as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of ['fs_checkout', 'fs_purchase', 'fs_idempotency_claim']) {
    const original = command[name]!.bind(redis.command);
    command[name] = async (...args: unknown[]) => {
      await original(...args);
      return original(...args);
    };
  }
});

afterAll(async () => {
  await redis.onApplicationShutdown();
  await t.close();
});

async function streams(): Promise<{ outbox: number; attempts: number }> {
  const raw = rawRedis();
  try {
    return {
      outbox: await streamEntriesAdded(raw, `{sale:${saleId}}:outbox`),
      attempts: await streamEntriesAdded(raw, `{sale:${saleId}}:attempts`),
    };
  } finally {
    raw.disconnect();
  }
}

it('a resent purchase with an Idempotency-Key answers its own result (not 409) and buys once', async () => {
  const code = (await request(t.url).post('/checkout').query({ user_id: 'resend-1', id: items[0] })).body.code as CheckoutCode;
  const before = await streams();
  const { result, replayed } = await ledger.purchase(
    saleId,
    code,
    'order-resent-1',
    { key: 'purchase:k1', fingerprint: `code=${code}` },
    null,
  );
  expect(replayed).toBe(false);
  expect(result).toEqual({ kind: 'done', firstTime: true, orderId: 'order-resent-1', purchased: [items[0]], failed: [] });
  expect((await streams()).outbox - before.outbox).toBe(1);
});

it('a resent purchase without a key answers the spent code and buys once', async () => {
  const code = (await request(t.url).post('/checkout').query({ user_id: 'resend-2', id: items[1] })).body.code as CheckoutCode;
  const before = await streams();
  const { result } = await ledger.purchase(saleId, code, 'order-resent-2', null, null);
  expect(result).toMatchObject({ kind: 'done', orderId: 'order-resent-2', purchased: [items[1]], failed: [] });
  expect((await streams()).outbox - before.outbox).toBe(1);
});

it('a resent checkout with an Idempotency-Key answers its own result and records one attempt', async () => {
  const before = await streams();
  const { result, replayed } = await ledger.checkout(saleId, 'resend-3' as UserId, items[2] as ItemId, 'c-resent-3' as CheckoutCode, {
    key: 'checkout:resend-3:k3',
    fingerprint: `item=${items[2]}`,
  });
  expect(replayed).toBe(false);
  expect(result).toMatchObject({ kind: 'ok', code: 'c-resent-3', items: [items[2]], added: true });
  expect((await streams()).attempts - before.attempts).toBe(1);
});
