import { Redis } from 'ioredis';
import { RedisNode, RedisSentinelFleet } from '../../scripts/fleet/redis-fleet';
import { RateLimitCheck } from '../../src/application/access/rate-limit';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { runScript } from '../../src/infrastructure/redis/lua-scripts';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisRateLimiter } from '../../src/infrastructure/redis/redis-rate-limiter';
import { redisEnv } from '../support/fleet';

/*
 * Most rate-limit windows' writes stay on the primary: rate-limit.lua writes them with REPL_NONE, so they
 * neither fill the AOF (whose rewrites, a fork, cost a busy Redis 10 to 15% of a core in the bench) nor go to
 * replicas. Here, on a real primary with a real replica: the windows count and refuse on the primary, and the
 * replica, caught up to a write made after them, holds none of them. Sign-in's windows (REPLICATED_GROUPS)
 * are replicated: after a failover the promoted replica still refuses a guesser whose window was full.
 */

jest.setTimeout(60_000);

const window = (name: string, key: string, limit: number, replicated = false): RateLimitCheck => ({
  name,
  key,
  policy: { limit, windowMs: 60_000 },
  replicated,
});
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

it('takes a request back out of a replicated window on the replicas too (rate-limit-undo.lua, on a Cluster)', async () => {
  const limiter = new RedisRateLimiter(connections);
  const kept = window('auth-user', 'auth:user:cy@example.com', 5, true);
  const notKept = window('buy-user', 'buy:user:cy', 5);
  expect((await limiter.hit([kept, notKept])).allowed).toBe(true);
  expect((await limiter.hit([kept])).allowed).toBe(true);
  const [id] = await primary.zrange('{rl:auth:user:cy@example.com}', 0, 0);

  // As the limiter undoes a request another slot refused: every window of this slot, the replicated ones named.
  const keys = ['{rl:buy:user:cy}', '{rl:auth:user:cy@example.com}'];
  expect(await runScript(connections.command, 'rate-limit-undo', keys, [id!, 2])).toBe(2);
  await primary.set('marker', '3');
  expect(await primary.wait(1, 5_000)).toBe(1);
  expect(await primary.zcard(keys[1]!)).toBe(1);
  expect(await replica.zrange(keys[1]!, 0, -1)).toEqual(await primary.zrange(keys[1]!, 0, -1));
  expect(await replica.exists(keys[0]!)).toBe(0);
});

it('replicates sign-in windows: after a failover the promoted replica still refuses a full one', async () => {
  const limiter = new RedisRateLimiter(connections);
  const signInIp = window('auth-ip', 'auth:ip:203.0.113.9', 100, true);
  const signInUser = window('auth-user', 'auth:user:bob@example.com', 2, true);
  const buyer = window('buy-user', 'buy:user:bob', 1);
  const hit = (checks: RateLimitCheck[]) => {
    limiter.forgetFullWindows();
    return limiter.hit(checks);
  };
  // One call holding replicated and unreplicated windows: each keeps its own kind.
  const first = await Promise.all([hit([signInIp, signInUser]), hit([buyer])]);
  expect(first.map((v) => v.allowed)).toEqual([true, true]);
  expect((await hit([signInIp, signInUser])).allowed).toBe(true);
  expect((await hit([signInIp, signInUser])).allowed).toBe(false);

  const primaryNode = await fleet.primary();
  const replicaNode = fleet.dataNodes.find((n: RedisNode) => n !== primaryNode)!;
  await primary.set('marker', '2');
  expect(await primary.wait(1, 5_000)).toBe(1);
  expect(await replica.zrange('{rl:auth:user:bob@example.com}', 0, -1, 'WITHSCORES')).toEqual(
    await primary.zrange('{rl:auth:user:bob@example.com}', 0, -1, 'WITHSCORES'),
  );
  expect(await replica.zcard('{rl:auth:ip:203.0.113.9}')).toBe(2);
  expect(await replica.pttl('{rl:auth:user:bob@example.com}')).toBeGreaterThan(0);
  expect(await replica.exists('{rl:buy:user:bob}')).toBe(0);

  const sentinel = fleet.sentinels[0]!.client();
  try {
    await sentinel.call('SENTINEL', 'FAILOVER', fleet.masterName);
  } finally {
    sentinel.disconnect();
  }
  // The app's connection moves to the promoted replica (it answers on the replica's port as a primary).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const moved = await connections.command
      .info('server')
      .then((info) => new RegExp(`tcp_port:${replicaNode.port}\\b`).test(info))
      .catch(() => false);
    const role = moved ? await connections.command.call('ROLE').catch(() => null) : null;
    if (Array.isArray(role) && role[0] === 'master') break;
    if (Date.now() > deadline) throw new Error('the connection did not move to the promoted replica');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Writes may wait for the demoted primary to follow the new one (min-replicas-to-write): ask until answered.
  const after = async (checks: RateLimitCheck[]) => {
    for (;;) {
      try {
        return await hit(checks);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const guess = await after([signInIp, signInUser]);
  expect([guess.allowed, guess.remembered ?? false]).toEqual([false, false]);
  expect(guess.states.map((s) => [s.check.name, s.remaining])).toEqual([
    ['auth-ip', 98],
    ['auth-user', 0],
  ]);
  // The buyer's window was the primary's alone: it starts again empty (the price of not logging it).
  expect((await after([buyer])).allowed).toBe(true);
});
