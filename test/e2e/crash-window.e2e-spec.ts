import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { CheckoutCode } from '../../src/domain/checkout/checkout-code.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { LedgerSettings } from '../../src/infrastructure/redis/ledger-settings';
import { RedisPurchaseLedger } from '../../src/infrastructure/redis/redis-purchase-ledger';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * The crash window: the purchase script ran (the buyer may even have been told "bought"), and the process
 * died before anything else happened. No app is running while the script runs here, so nothing enqueues
 * the order; the next process to start must still write it to PostgreSQL.
 */
describe('a purchase whose process died right after the script', () => {
  beforeEach(wipeState);

  it('still becomes an order after restart', async () => {
    let t: TestApp = await startTestApp();
    const sale = await createOpenSale(t, { itemsTotal: 3 });
    const items = await itemIdsOf(t, sale);
    const code = (await request(t.url).post('/checkout').query({ user_id: 'dora', id: items[1] })).body.code as CheckoutCode;
    await t.close();

    // Only the script, exactly as the purchase use case runs it, with nobody around to relay or enqueue.
    const config = loadConfig(process.env);
    const redis = new RedisConnections(config);
    await redis.onModuleInit();
    const orderId = randomUUID();
    const { result } = await new RedisPurchaseLedger(redis, new LedgerSettings(config)).purchase(
      sale.id as SaleId,
      code,
      orderId,
      null,
      null,
    );
    await redis.onApplicationShutdown();
    expect(result).toEqual({ kind: 'done', firstTime: true, orderId, purchased: [items[1]], failed: [] });

    const raw = rawRedis();
    try {
      expect(await raw.xlen(`{sale:${sale.id}}:outbox`)).toBe(1);
    } finally {
      raw.disconnect();
    }
    expect(await withPg(async (pg) => (await pg.query('SELECT count(*)::int AS n FROM orders')).rows[0].n)).toBe(0);

    t = await startTestApp();
    try {
      const rows = await eventually(
        () =>
          withPg(
            async (pg) =>
              (
                await pg.query(
                  'SELECT o.id, o.user_id, oi.item_id, i.sold FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN items i ON i.id = oi.item_id',
                )
              ).rows,
          ),
        (r) => r.length === 1,
      );
      expect(rows).toEqual([{ id: orderId, user_id: 'dora', item_id: items[1], sold: true }]);
      // The spent code answers as before.
      const again = await request(t.url).post('/purchase').query({ code });
      expect(again.body).toEqual({ orderId, saleId: sale.id, purchased: [items[1]], failed: [] });
    } finally {
      await t.close();
    }
  });
});
