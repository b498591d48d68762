import { Redis } from 'ioredis';
import { LedgerEvent } from '../../src/application/events/sale-event-feed.port';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisSaleEventFeed } from '../../src/infrastructure/redis/redis-sale-event-feed';
import { saleEventsChannel } from '../../src/infrastructure/redis/sale-keys';
import { SilenceableRelay } from '../support/silenceable-relay';
import { eventually, rawRedis } from '../support/test-env';

/*
 * A sale's live events reach an instance through one sharded subscription per sale. A subscribe Redis refuses
 * (on a Cluster, a slot without a subscriber during a failover) must leave nothing behind: the next
 * subscriber asks Redis again. Here Redis refuses it for real: the feed signs in as a user whose ACL does not
 * allow the sale's channel yet.
 */

const USER = 'flashsale-feed-test';
const SALE = 987_001 as SaleId;
let admin: Redis;
let connections: RedisConnections;
let feed: RedisSaleEventFeed;

beforeAll(async () => {
  admin = rawRedis();
  // Every key and command, but no channel of this sale.
  await admin.call('ACL', 'SETUSER', USER, 'reset', 'on', '>feed-test-password', '~*', '&{sale:1}:*', '+@all');
  const url = new URL(process.env.REDIS_URL!);
  url.username = USER;
  url.password = 'feed-test-password';
  const config = loadConfig({ ...process.env, REDIS_URL: url.toString() });
  connections = new RedisConnections(config);
  await connections.onModuleInit();
  feed = new RedisSaleEventFeed(connections);
});

afterAll(async () => {
  await feed?.onApplicationShutdown();
  await connections?.onApplicationShutdown();
  await admin?.call('ACL', 'DELUSER', USER);
  admin?.disconnect();
});

it('subscribes again after Redis refused a subscribe, and the sale’s events then arrive', async () => {
  const seen: LedgerEvent[] = [];
  await expect(feed.subscribe(SALE, (e) => seen.push(e))).rejects.toThrow(/NOPERM|permission/i);
  await admin.call('ACL', 'SETUSER', USER, 'allchannels');
  const unsubscribe = await feed.subscribe(SALE, (e) => seen.push(e));
  const channel = saleEventsChannel(SALE, connections.db);
  // Published until it arrives: the subscription is live once subscribe() resolved, but give Redis its turn.
  await eventually(
    async () => {
      await admin.call('SPUBLISH', channel, 'paused');
      return seen;
    },
    (events) => events.some((e) => e.kind === 'paused'),
    5_000,
    100,
  );
  expect(seen).toContainEqual({ kind: 'paused' });
  await unsubscribe();
});

it('tells its listeners to read afresh once a connection that went silent without a word is replaced', async () => {
  // Through a relay that stops passing anything, as a NAT or load balancer that forgot the connection: no
  // reset, no close. Events published meanwhile are lost; the feed must notice and say so.
  const target = new URL(process.env.REDIS_URL!);
  const relay = await SilenceableRelay.start(target);
  const relayed = new RedisConnections(loadConfig({ ...process.env, REDIS_URL: relay.urlFor(target) }));
  await relayed.onModuleInit();
  const silentFeed = new RedisSaleEventFeed(relayed);
  const seen: LedgerEvent[] = [];
  try {
    const unsubscribe = await silentFeed.subscribe(1 as SaleId, (e) => seen.push(e));
    // The feed's connection hears nothing from now on; a new one would get through.
    relay.silenceExisting();
    await eventually(
      async () => seen,
      (events) => events.some((e) => e.kind === 'resync'),
      8_000,
      100,
    );
    expect(seen).toContainEqual({ kind: 'resync' });
    await unsubscribe();
  } finally {
    await silentFeed.onApplicationShutdown();
    await relayed.onApplicationShutdown();
    await relay.stop();
  }
});
