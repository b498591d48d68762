import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisCheckoutAttemptLog } from '../../src/infrastructure/redis/redis-checkout-attempt-log';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { unfold } from '../support/doubles/in-memory-checkout-attempt-log';
import { wipeState } from '../support/test-env';

/*
 * The analytics writer reads the oldest attempts of a stream, writes them, then acknowledges the batch,
 * which trims the stream up to the batch's last entry. Attempts logged after the read, and older ones the
 * batch did not include, must survive the trim.
 */

let redis: RedisConnections;
let log: RedisCheckoutAttemptLog;
const source = '{sale:4242}:attempts';

beforeAll(async () => {
  await wipeState();
  redis = new RedisConnections(loadConfig(process.env));
  await redis.onModuleInit();
  log = new RedisCheckoutAttemptLog(redis);
});

afterAll(async () => {
  await redis.onApplicationShutdown();
});

const add = (user: string, id = '*', stream = source) =>
  redis.command.xadd(stream, id, 'u', user, 'i', '7', 'r', 'item_sold_out', 't', String(Date.now()));

it('acknowledging a batch drops exactly that batch, not what was logged after it or left unread', async () => {
  for (const u of ['a', 'b', 'c', 'd', 'e']) await add(u);
  const batch = await log.read(source, 3);
  expect(unfold(batch.entries).map((a) => a.userId)).toEqual(['a', 'b', 'c']);
  expect(unfold(batch.entries).every((a) => a.saleId === 4242 && a.itemId === 7 && a.result === 'item_sold_out')).toBe(true);

  await add('f'); // logged while the batch was being written
  await log.acknowledge(batch);

  const rest = await log.read(source, 100);
  expect(unfold(rest.entries).map((a) => a.userId)).toEqual(['d', 'e', 'f']);
  await log.acknowledge(rest);
  expect(await redis.command.xlen(source)).toBe(0);
  // An empty batch acknowledges nothing (and does not fail).
  await log.acknowledge(await log.read(source, 100));
});

it('trims by sequence number within one millisecond', async () => {
  // Entries with the same millisecond differ only in their sequence number.
  const stream = '{sale:4243}:attempts';
  for (const [i, u] of ['x', 'y', 'z'].entries()) await add(u, `5000-${i}`, stream);
  const batch = await log.read(stream, 2);
  expect(unfold(batch.entries).map((a) => a.entryId)).toEqual(['5000-0', '5000-1']);
  await log.acknowledge(batch);
  expect(unfold((await log.read(stream, 10)).entries).map((a) => a.entryId)).toEqual(['5000-2']);
});

it('never hands out a batch short of what was asked for while more attempts are waiting', async () => {
  // The writer takes a short batch for "caught up" and pauses: under a sell-out's refusals, batches cut
  // short before a batched entry let the stream grow faster than it drained.
  await Promise.all(['m1', 'm2', 'm3'].map((u, i) => log.logWithoutSale(u as UserId, i as ItemId, 'no_active_sale')));
  await Promise.all(['m4', 'm5', 'm6'].map((u, i) => log.logWithoutSale(u as UserId, i as ItemId, 'no_active_sale')));
  const full = await log.read('flashsale:attempts', 4);
  expect(unfold(full.entries).map((a) => a.userId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  // The writer runs again at once only after a full batch: the count is of attempts, not of entries (2 here).
  expect(full.entries).toHaveLength(2);
  expect(full.attempts).toBe(6);
  await log.acknowledge(full);
  expect(await redis.command.xlen('flashsale:attempts')).toBe(0);
});

it('reads the attempts of one batched write as rows of their own, and never splits such a write', async () => {
  const stream = 'flashsale:attempts';
  await add('single-1', '*', stream);
  // Three attempts in one turn: attempts-append.lua writes them as one entry.
  await Promise.all([
    log.logWithoutSale('p1' as UserId, 11 as ItemId, 'no_active_sale'),
    log.logWithoutSale('p2' as UserId, 12 as ItemId, 'sale_not_started', 77 as SaleId),
    log.logWithoutSale('p3' as UserId, 13 as ItemId, 'no_active_sale'),
  ]);
  await add('single-2', '*', stream);
  expect(await redis.command.xlen(stream)).toBe(3);

  // Room for one: the single entry only.
  const first = await log.read(stream, 1);
  expect(unfold(first.entries).map((a) => a.userId)).toEqual(['single-1']);
  await log.acknowledge(first);

  // Room for two: the batched entry comes whole (three attempts), each with its own fields, and nothing after it.
  const batched = await log.read(stream, 2);
  expect(batched.attempts).toBe(3);
  expect(unfold(batched.entries).map((a) => [a.userId, a.itemId, a.result, a.saleId])).toEqual([
    ['p1', 11, 'no_active_sale', null],
    ['p2', 12, 'sale_not_started', 77],
    ['p3', 13, 'no_active_sale', null],
  ]);
  const ids = unfold(batched.entries).map((a) => a.entryId);
  expect(new Set(ids).size).toBe(3);
  expect(ids.map((id) => id.replace(/^\d+-\d+/, ''))).toEqual(['.0', '.1', '.2']);
  expect(unfold(batched.entries).every((a) => a.attemptedAt.getTime() === unfold(batched.entries)[0]!.attemptedAt.getTime())).toBe(true);
  await log.acknowledge(batched);

  // Its acknowledgement dropped exactly it.
  const rest = await log.read(stream, 10);
  expect(unfold(rest.entries).map((a) => a.userId)).toEqual(['single-2']);
  await log.acknowledge(rest);
  expect(await redis.command.xlen(stream)).toBe(0);
});
