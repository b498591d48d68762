import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { Client } from 'pg';
import { RedisClusterFleet, RedisNode, RedisSentinelFleet } from '../../scripts/fleet/redis-fleet';
import { AppFleet, clusterClient, redisEnv, startAppFleet } from '../support/fleet';
import {
  pgClient,
  pgOrderCount,
  prepareSaleOn,
  queueState,
  redisPgDisagreements,
  reportFault,
  scratchDatabase,
  stopFaultDependencies,
  tail,
  waitFor,
} from '../support/faults';
import { ROOT, buildDist, killAll } from '../support/processes';
import { Buyer, acknowledgedVersusOrders, answersBy, buyersFor, checkOut, itemsInTwoOrders, purchaseWithRetries } from '../support/storm';

/*
 * Fault: the Redis primary that holds the open sale dies (SIGKILL) in the middle of a purchase storm, on a
 * Redis Cluster (three primaries with two replicas each) and on Sentinel (a primary, two replicas, three
 * sentinels). Two API instances and an order worker run behind HAProxy with replica durability (the default
 * on these topologies). A replica must be promoted and the service must resume by itself; meanwhile every
 * request is answered 503 at once (never left hanging); and afterwards every purchase acknowledged with items
 * is exactly one order in PostgreSQL, no item is in two orders, and Redis and PostgreSQL agree.
 */

jest.setTimeout(240_000);

const BUYERS = 1200;
const KILL_AFTER_ACKS = 300;
/** A refused purchase is bounded by the command timeout (500 ms) plus the replica confirmation (250 + 500 ms): about 1.25 s; a starved CI box has shown 2.6 s, so the bound (still "no request hangs") leaves room for that. */
const SLOWEST_ANSWER_MS = 4_000;

type Topology = 'cluster' | 'sentinel';

describe.each<Topology>(['cluster', 'sentinel'])('%s: SIGKILL of the primary holding the open sale during a purchase storm', (topology) => {
  let redis: RedisClusterFleet | RedisSentinelFleet;
  let fleet: AppFleet;
  let pg: Client;
  let state: Redis | Cluster;
  let saleId: number;
  let items: number[];

  beforeAll(async () => {
    buildDist();
    const [r, databaseUrl] = await Promise.all([
      topology === 'cluster' ? RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 2 }) : RedisSentinelFleet.start(),
      scratchDatabase(),
    ]);
    redis = r;
    pg = await pgClient(databaseUrl);
    const env = { ...redisEnv(redis), DATABASE_URL: databaseUrl };
    const prepared = await prepareSaleOn(env, { itemsTotal: BUYERS, saleCap: BUYERS, perUserLimit: 5 });
    saleId = prepared.sale.id;
    items = prepared.items;
    state =
      redis instanceof RedisClusterFleet
        ? clusterClient(redis)
        : new Redis({
            sentinels: redis.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
            name: redis.masterName,
            maxRetriesPerRequest: 3,
          });
    state.on('error', () => undefined);
    fleet = await startAppFleet({ ...env, LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MS: '0' }, { apis: 2 });
    // Unset PURCHASE_DURABILITY means replica on these topologies: every instance says so.
    for (const url of fleet.apiUrls) {
      const ready = await fetch(`${url}/health/ready`).then((r) => r.json() as Promise<{ checks: { redis: { replication?: unknown } } }>);
      expect(ready.checks.redis.replication).toMatchObject({ topology, purchaseDurability: 'replica' });
    }
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
    await killAll();
    state?.disconnect();
    await pg?.end().catch(() => undefined);
    await redis?.stop();
    await stopFaultDependencies();
  });

  /** The primary that holds the sale's keys now. */
  async function salePrimary(): Promise<RedisNode> {
    if (redis instanceof RedisClusterFleet) return redis.primaryForSlot(calculateSlot(`{sale:${saleId}}:meta`));
    return redis.primary();
  }

  it('promotes a replica, answers 503 at once meanwhile, resumes by itself, and loses no acknowledged purchase', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    const buyers: Buyer[] = buyersFor(topology, items, BUYERS);
    await checkOut(fleet.proxy.url, agent, buyers);

    const victim = await salePrimary();
    let acks = 0;
    let killedAt = 0;
    const stormStart = Date.now();
    await purchaseWithRetries(fleet.proxy.url, agent, buyers, {
      width: 100,
      deadline: stormStart + 90_000,
      retryMs: 100,
      onAnswer: (a) => {
        if (a.status === 200 && ++acks === KILL_AFTER_ACKS) {
          killedAt = Date.now();
          void victim.kill();
        }
      },
    });
    agent.destroy();
    expect(killedAt).toBeGreaterThan(0);

    const promoted = await salePrimary();
    expect(promoted.port).not.toBe(victim.port);
    const attempts = buyers.flatMap((b) => b.attempts);
    const afterKill = attempts.filter((a) => a.at >= killedAt);
    const firstOkAfterKill = Math.min(...afterKill.filter((a) => a.status === 200 && a.at - a.ms >= killedAt).map((a) => a.at));
    const slowest = Math.max(...attempts.map((a) => a.ms));
    // Every buyer got their answer in the end, by retrying the same code.
    const unanswered = buyers.filter((b) => !b.result).map((b) => b.user);
    if (unanswered.length > 0) {
      const logs = [...fleet.apis, ...(fleet.worker ? [fleet.worker] : [])].map((p) => tail(p.output, 3000)).join('\n---\n');
      // Everything the processes and the sentinels said, for whoever investigates.
      const dump = [...fleet.apis, ...(fleet.worker ? [fleet.worker] : [])].map((p) => p.output.stdout + p.output.stderr);
      if (redis instanceof RedisSentinelFleet)
        dump.push(...redis.sentinels.map((s) => readFileSync(path.join(s.dir, 'redis.log'), 'utf8')));
      mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
      writeFileSync(path.join(ROOT, 'test-output', `failover-${topology}.log`), dump.join('\n=====\n'));
      throw new Error(`${unanswered.length} buyers never got an answer, e.g. ${unanswered.slice(0, 3)}\n${logs}`);
    }
    // While the primary was away: 503 (from an instance, or HAProxy when none was ready) and nothing else.
    expect(Object.keys(answersBy(buyers, killedAt)).sort()).toEqual(expect.arrayContaining(['200']));
    expect(Object.keys(answersBy(buyers, killedAt)).filter((k) => k !== '200' && k !== '503')).toEqual([]);

    const acknowledged = buyers.filter((b) => b.result?.orderId);
    const drained = await waitFor(
      async () => ({
        written: await pgOrderCount(pg, saleId),
        queue: await queueState(state),
        outbox: await state.xlen(`{sale:${saleId}}:outbox`),
      }),
      (s) => s.written >= acknowledged.length && s.outbox === 0 && s.queue.wait + s.queue.active + s.queue.delayed === 0,
      60_000,
      200,
    );
    if (drained.value.written !== acknowledged.length) {
      const logs = [...fleet.apis, ...(fleet.worker ? [fleet.worker] : [])].map((p) => tail(p.output, 1500)).join('\n---\n');
      throw new Error(`not drained: ${JSON.stringify(drained.value)} of ${acknowledged.length}\n${logs}`);
    }
    expect(await acknowledgedVersusOrders(pg, saleId, buyers)).toEqual([]);
    expect(await itemsInTwoOrders(pg, saleId)).toBe(0);
    expect(await redisPgDisagreements(state, pg, saleId)).toEqual([]);
    expect(drained.value.queue.failed).toBe(0);
    for (const p of [...fleet.apis, ...(fleet.worker ? [fleet.worker] : [])]) expect(p.child.exitCode).toBeNull();

    reportFault(`redis-primary-sigkill-${topology}`, {
      topology,
      durability: 'replica',
      buyers: BUYERS,
      requests: attempts.length,
      answersAfterKill: answersBy(buyers, killedAt),
      killedAfterMs: killedAt - stormStart,
      firstPurchaseOkAfterKillMs: firstOkAfterKill - killedAt,
      slowestAnswerMs: slowest,
      slowestAnswers: [...attempts]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((a) => ({ ms: a.ms, status: a.status ?? a.error, sentAfterKillMs: a.at - a.ms - killedAt })),
      acknowledgedWithItems: acknowledged.length,
      ordersWritten: drained.value.written,
      duplicates: await itemsInTwoOrders(pg, saleId),
      lost: acknowledged.length - drained.value.written,
      promoted: promoted.address,
    });
    // The refusals meanwhile came fast: no request was left hanging until the failover was over.
    expect(Math.max(...attempts.filter((a) => a.status === 503).map((a) => a.ms))).toBeLessThan(SLOWEST_ANSWER_MS);
  });
});
