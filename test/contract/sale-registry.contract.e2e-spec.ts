import { Redis } from 'ioredis';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { ItemSet } from '../../src/domain/sale/item-set.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { SaleWindow } from '../../src/domain/sale/sale-window.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisSaleRegistry } from '../../src/infrastructure/redis/redis-sale-registry';
import { saleKeys } from '../../src/infrastructure/redis/sale-keys';
import { rawRedis } from '../support/test-env';

/*
 * A sale past its retention leaves nothing behind in Redis, but never what is still on its way to PostgreSQL:
 * its dashboard counters go, its attempts and outbox streams go once their readers emptied them (a stream key
 * outlives its last entry, and these three have no expiry of their own), and a confirmed order still in the
 * outbox is kept, with the sale's registry entry.
 */

const SALE = 876_001 as SaleId;
const keys = saleKeys(SALE);
let connections: RedisConnections;
let registry: RedisSaleRegistry;
let redis: Redis;

beforeAll(async () => {
  connections = new RedisConnections(loadConfig(process.env));
  await connections.onModuleInit();
  registry = new RedisSaleRegistry(connections);
  redis = rawRedis();
});

afterAll(async () => {
  await redis.del(keys.stats, keys.attempts, keys.outbox, keys.fence);
  redis.disconnect();
  await connections.onApplicationShutdown();
});

it('drops an ended sale’s counters, its fence and emptied streams, and keeps an outbox that still holds an order', async () => {
  const endsAt = Date.now() - 10_000;
  const terms = { itemsTotal: 1, saleCap: 1, perUserLimit: 1, unitsPerItem: 1, onePurchasePerUser: false };
  await registry.register(Sale.restore(SALE, SaleWindow.of(new Date(endsAt - 60_000), new Date(endsAt)), terms), ItemSet.of([1 as ItemId]));
  await redis.hincrby(keys.stats, 'c:accepted', 3);
  // The replica confirmation's counter (PURCHASE_DURABILITY=replica), which nothing else expires.
  await redis.incr(keys.fence);
  // Streams as their readers leave them: every entry stored, the key still there.
  await redis.xadd(keys.attempts, '*', 'u', 'ann', 'r', 'accepted');
  await redis.xtrim(keys.attempts, 'MAXLEN', 0);
  await redis.xadd(keys.outbox, '*', 'o', 'order-1', 'c', 'code-1');
  expect(await redis.exists(keys.stats, keys.attempts, keys.outbox)).toBe(3);

  const ended = new Date(endsAt + 1);
  expect(await registry.forgetEndedBefore(ended)).toEqual([{ saleId: SALE, attempts: 0, orders: 1 }]);
  expect([await redis.exists(keys.stats, keys.fence), await redis.exists(keys.attempts), await redis.xlen(keys.outbox)]).toEqual([0, 0, 1]);
  // Still listed, so the next run looks at it again.
  expect((await registry.listEndingAfter(new Date(endsAt - 1))).map((r) => r.sale.id)).toContain(SALE);

  // Once the relay has stored it, the next run forgets the sale.
  await redis.xtrim(keys.outbox, 'MAXLEN', 0);
  expect(await registry.forgetEndedBefore(ended)).toEqual([]);
  expect(await redis.exists(keys.outbox)).toBe(0);
  expect((await registry.listEndingAfter(new Date(endsAt - 1))).map((r) => r.sale.id)).not.toContain(SALE);
});
