import { Redis } from 'ioredis';
import { RedisNode, RedisSentinelFleet } from '../../scripts/fleet/redis-fleet';
import { RateLimitCheck } from '../../src/application/access/rate-limit';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisRateLimiter } from '../../src/infrastructure/redis/redis-rate-limiter';
import { redisEnv } from '../support/fleet';

/*
 * Rate-limit windows' writes stay on the primary: rate-limit.lua writes them with REPL_NONE, so they neither
 * fill the AOF (whose rewrites, a fork, cost a busy Redis 10 to 15% of a core in the bench) nor go to replicas.
 * Here, on a real primary with a real replica: the windows count and refuse on the primary, and the replica,
 * caught up to a write made after them, holds none of them.
 */

jest.setTimeout(60_000);

const window = (name: string, key: string, limit: number): RateLimitCheck => ({ name, key, policy: { limit, windowMs: 60_000 } });
const ip = window('buy-ip', 'buy:ip:203.0.113.9', 100);
const user = window('buy-user', 'buy:user:ann', 2);

let fleet: RedisSentinelFleet;
let connections: RedisConnections;
let primary: Redis;
let replica: Redis;

beforeAll(async () => {
  fleet = await RedisSentinelFleet.start({ replicas: 1 });
  connections = new RedisConnections(loadConfig({ ...process.env, ...redisEnv(fleet) }));
  await connections.onModuleInit();
  const primaryNode = await fleet.primary();
  primary = primaryNode.client();
  replica = fleet.dataNodes.find((n: RedisNode) => n !== primaryNode)!.client();
});

afterAll(async () => {
  primary?.disconnect();
  replica?.disconnect();
  await connections?.onApplicationShutdown();
  await fleet?.stop();
});

it('counts and refuses on the primary, and sends the replica none of its windows', async () => {
  const limiter = new RedisRateLimiter(connections);
  const verdicts = [];
  for (let i = 0; i < 3; i++) {
    // The refusal must come from the script, not from the limiter's memory of windows it saw full.
    limiter.forgetFullWindows();
    verdicts.push(await limiter.hit([ip, user]));
  }
  expect(verdicts.map((v) => [v.allowed, v.remembered ?? false])).toEqual([
    [true, false],
    [true, false],
    [false, false],
  ]);
  expect(verdicts[1]!.states.map((s) => s.remaining)).toEqual([98, 0]);

  expect(await primary.zcard('{rl:buy:ip:203.0.113.9}')).toBe(2);
  expect(await primary.zcard('{rl:buy:user:ann}')).toBe(2);
  // A write of ours after the windows', acknowledged by the replica: it has everything that was sent to it.
  await primary.set('marker', '1');
  expect(await primary.wait(1, 5_000)).toBe(1);
  expect(await replica.get('marker')).toBe('1');
  expect(await replica.exists('{rl:buy:ip:203.0.113.9}', '{rl:buy:user:ann}')).toBe(0);
});
