import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { Haproxy } from '../../scripts/fleet/haproxy';
import { DURABLE_NODE_ARGS, RedisClusterFleet, RedisNode } from '../../scripts/fleet/redis-fleet';
import { expandScript, LUA_DIR } from '../../src/infrastructure/redis/lua-scripts';
import { App, startApp, stopApp } from '../lib/app';
import { call } from '../lib/http';
import { freePort, log, sleep, waitFor } from '../lib/processes';
import { itemIds, writeList } from '../lib/sales';
import { cpuSeconds } from '../lib/sampling';
import { S } from '../lib/settings';
import { fmt } from '../lib/report';
import { Measurement, WrkLoad, runWrk } from '../lib/wrk';
import type { TaskResult, TaskScenario } from '../lib/scenario';
import type { Data } from '../lib/data';

/*
 * The fleet (`npm run bench -- fleet`, or BENCH_ONLY=fleet; not part of a plain `npm run bench`, which it
 * would lengthen by about four minutes):
 *   1. checkout and checkout+purchase pairs through HAProxy with 1, 2 and 3 API instances on a Redis Cluster of
 *      3 primaries and 3 replicas (PURCHASE_DURABILITY=replica, the default there), each ratio against 1 instance;
 *   2. one shard's ceiling for the purchase script: redis-benchmark sending EVALSHA of scripts/lua/purchase.lua
 *      straight to one redis-server (AOF on) holding a sale and checkouts of distinct users and items, with
 *      Redis's own CPU µs per call (INFO commandstats);
 *   3. the cost of PURCHASE_DURABILITY=replica against none: pairs on one instance, on a primary with a replica.
 * Everything on 127.0.0.1, bounded: each load runs BENCH_WARMUP + BENCH_DURATION seconds.
 */

const run = promisify(execFile);

interface LoadRow {
  readonly label: string;
  readonly instances: number;
  readonly m: Measurement;
  /** CPU of every instance together and of HAProxy, µs per request, and % of one core. */
  readonly appMicros: number;
  readonly proxyMicros: number;
  readonly appPercent: number;
  readonly proxyPercent: number;
  /** Pairs per second (pairs rows). */
  readonly pairs?: number;
}

/** Warm-up (thrown away), then the measured run, with the CPU of `pids` (the instances) and HAProxy's. */
async function measureOn(label: string, load: WrkLoad, port: number, pids: number[], proxyPid: number, redis: Redis): Promise<LoadRow> {
  log(`fleet: ${label}: ${S.warmup} s warm-up, then ${S.duration} s`);
  const target = { port, pid: pids[0]! };
  if (S.warmup > 0) await runWrk(load, target, S.warmup, redis);
  const cpu = () => ({ app: pids.reduce((a, p) => a + cpuSeconds(p), 0), proxy: proxyPid ? cpuSeconds(proxyPid) : 0, at: Date.now() });
  const before = cpu();
  const m = await runWrk(load, target, S.duration, redis);
  const after = cpu();
  const wall = (after.at - before.at) / 1000;
  if (m.unexpected || m.socketErrors)
    throw new Error(`${label}: ${m.unexpected} unexpected answers, ${m.socketErrors} socket errors (${m.samples.slice(0, 2).join(' | ')})`);
  return {
    label,
    instances: pids.length,
    m,
    appMicros: (1e6 * (after.app - before.app)) / m.requests,
    proxyMicros: (1e6 * (after.proxy - before.proxy)) / m.requests,
    appPercent: (100 * (after.app - before.app)) / wall,
    proxyPercent: (100 * (after.proxy - before.proxy)) / wall,
    pairs: m.counters.pairs ? m.counters.pairs / m.seconds : undefined,
  };
}

const loads = (itemsFile: string, items: number) => {
  const offset = String(Math.floor(Math.random() * items));
  return {
    checkout: {
      script: 'checkout',
      path: '/',
      vars: { WRK_ITEMS: itemsFile, WRK_ITEM_OFFSET: offset },
      expect: { status: 200, body: '"code":"' },
    },
    pairs: { script: 'pairs', path: '/', vars: { WRK_ITEMS: itemsFile, WRK_ITEM_OFFSET: offset, WRK_TOKENS: '' }, expect: { status: 200 } },
  } satisfies Record<string, WrkLoad>;
};

async function saleOf(app: App): Promise<{ id: number; file: string; count: number }> {
  const sale = await waitFor(
    'a live sale',
    async () => {
      const r = await call(app.port, 'GET', '/sales/active');
      return r.status === 200 ? (JSON.parse(r.body) as { id: number }) : undefined;
    },
    120_000,
    app.child,
  );
  const items = await itemIds(app.port, sale.id);
  return { id: sale.id, file: writeList(`fleet-items-${app.name}`, items), count: items.length };
}

/** 1. Through HAProxy with 1, 2 and 3 instances on a Cluster. */
async function scaling(): Promise<{ rows: LoadRow[]; shardPort: number }> {
  const cluster = await RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 1 });
  const apps: App[] = [];
  let proxy: Haproxy | undefined;
  try {
    const env = { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodesVariable };
    for (let i = 1; i <= 3; i++) apps.push(await startApp(`fleet-api${i}`, env, await freePort()));
    const sale = await saleOf(apps[0]!);
    const shard = await cluster.primaryForSlot(calculateSlot(`{sale:${sale.id}}:meta`));
    const redis = shard.client();
    const rows: LoadRow[] = [];
    try {
      for (const n of [1, 2, 3]) {
        const some = apps.slice(0, n);
        proxy = await Haproxy.start(
          await freePort(),
          some.map((a, i) => ({ name: `api${i + 1}`, port: a.port })),
        );
        // Every instance in the backend must be up in HAProxy's eyes before the load starts.
        await sleep(2_500);
        const pid = proxy.pid;
        const l = loads(sale.file, sale.count);
        for (const [name, load] of Object.entries(l)) {
          const label = `${name === 'checkout' ? 'POST /checkout accepted' : 'checkout then purchase (pairs)'}, ${n} instance${n > 1 ? 's' : ''}`;
          rows.push(
            await measureOn(
              label,
              load,
              proxy.port,
              some.map((a) => a.pid),
              pid,
              redis,
            ),
          );
        }
        await proxy.stop();
        proxy = undefined;
      }
    } finally {
      redis.disconnect();
    }
    return { rows, shardPort: shard.port };
  } finally {
    await proxy?.stop();
    await Promise.all(apps.map(stopApp));
    await cluster.stop();
  }
}

interface Ceiling {
  readonly scriptsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly calls: number;
  readonly freshPurchases: number;
  readonly redisMicrosPerCall: number;
  readonly redisCpuPercent: number;
  readonly clients: number;
}

/** 2. One shard's ceiling for the purchase script, with redis-benchmark. */
async function shardCeiling(): Promise<Ceiling> {
  const port = await freePort();
  const dir = path.join(os.tmpdir(), `flashsale-bench-shard-${port}`);
  // A shard as the fleet runs it (AOF every second, no eviction), without a replica to wait for.
  const args = DURABLE_NODE_ARGS.slice(0, DURABLE_NODE_ARGS.indexOf('--min-replicas-to-write'));
  const node = await RedisNode.start(port, dir, args);
  const redis = node.client();
  try {
    const sale = 1;
    const k = (s: string) => `{sale:${sale}}:${s}`;
    const items = 10_000;
    const codes = 400_000;
    const requests = 100_000;
    const now = Date.now();
    await redis.hset(k('meta'), { startsAt: now - 60_000, endsAt: now + 3_600_000, saleCap: 1e12, perUserLimit: 1e9, sold: 0 });
    const stock: Record<string, number> = {};
    for (let i = 1; i <= items; i++) stock[String(i)] = 1e9;
    await redis.hset(k('stock'), stock);
    // Checkouts of distinct users, each of one item, whose codes are what redis-benchmark's __rand_int__
    // makes (12 digits): every call buys unless it drew a code already spent (then it answers the stored result).
    for (let from = 0; from < codes; from += 5_000) {
      const batch: string[] = [];
      for (let i = from; i < from + 5_000; i++)
        batch.push(`c${String(i).padStart(12, '0')}`, JSON.stringify({ u: `u${i}`, i: [(i % items) + 1], s: 'open' }));
      await redis.hset(k('checkouts'), ...batch);
    }
    const source = expandScript(readFileSync(path.join(LUA_DIR, 'purchase.lua'), 'utf8'));
    const sha = String(await redis.script('LOAD', source));
    await redis.config('RESETSTAT');
    const cpuBefore = await cpuOf(redis);
    const started = Date.now();
    const clients = 50;
    log(`fleet: shard ceiling: redis-benchmark, ${requests} EVALSHA purchase.lua, ${clients} connections`);
    const { stdout } = await run(
      'redis-benchmark',
      [
        ...['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(requests), '-r', String(codes), '--csv'],
        ...[
          'EVALSHA',
          sha,
          '9',
          k('meta'),
          k('stock'),
          k('bought'),
          k('open'),
          k('checkouts'),
          k('outbox'),
          k('idem:-'),
          k('stats'),
          k('events:db0'),
        ],
        ...['c__rand_int__', 'o__rand_int__', '86400000', '', '86400000', ''],
      ],
      { timeout: 300_000 },
    );
    const wall = (Date.now() - started) / 1000;
    const cpu = (await cpuOf(redis)) - cpuBefore;
    const [, values] = stdout.trim().split('\n');
    const [, rps, , , p50, , p99] = values!.split(',').map((v) => Number(v.replace(/"/g, '')));
    const stats = String(await redis.info('commandstats'));
    const evalsha = /^cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/m.exec(stats);
    const fresh = await redis.xlen(k('outbox'));
    return {
      scriptsPerSecond: rps!,
      p50Ms: p50!,
      p99Ms: p99!,
      calls: Number(evalsha?.[1]),
      freshPurchases: fresh,
      redisMicrosPerCall: Number(evalsha?.[3]),
      redisCpuPercent: (100 * cpu) / wall,
      clients,
    };
  } finally {
    redis.disconnect();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cpuOf(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const f = (n: string) => Number(new RegExp(`^${n}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return f('used_cpu_user') + f('used_cpu_sys');
}

/** 3. PURCHASE_DURABILITY none, then replica: pairs on one instance, on a primary with one replica. */
async function durability(): Promise<LoadRow[]> {
  const dirs = os.tmpdir();
  const p = await freePort();
  const r = await freePort();
  const primary = await RedisNode.start(p, path.join(dirs, `flashsale-bench-primary-${p}`), DURABLE_NODE_ARGS);
  const replica = await RedisNode.start(r, path.join(dirs, `flashsale-bench-replica-${r}`), [
    ...DURABLE_NODE_ARGS,
    '--replicaof',
    '127.0.0.1',
    String(p),
  ]);
  const redis = primary.client();
  const rows: LoadRow[] = [];
  try {
    await waitFor(
      'the replica to connect',
      async () => (/min_slaves_good_slaves:1/.test(await redis.info('replication')) ? true : undefined),
      30_000,
    );
    for (const mode of ['none', 'replica', 'none', 'replica']) {
      const app = await startApp(
        `fleet-durability-${mode}`,
        { REDIS_URL: `redis://127.0.0.1:${p}`, PURCHASE_DURABILITY: mode },
        await freePort(),
      );
      try {
        const sale = await saleOf(app);
        rows.push(await measureOn(`pairs, PURCHASE_DURABILITY=${mode}`, loads(sale.file, sale.count).pairs, app.port, [app.pid], 0, redis));
      } finally {
        await stopApp(app);
      }
    }
    return rows;
  } finally {
    redis.disconnect();
    await Promise.all([replica.stop(), primary.stop()]);
    for (const n of [primary, replica]) rmSync(n.dir, { recursive: true, force: true });
  }
}

function section(scale: LoadRow[], ceiling: Ceiling | string, dur: LoadRow[]): string[] {
  const base = (r: LoadRow) => scale.find((b) => b.instances === 1 && b.label.split(',')[0] === r.label.split(',')[0])!;
  const scaleLine = (r: LoadRow) =>
    `| ${r.label} | ${fmt(r.m.requestsPerSecond)}${r.pairs ? ` (${fmt(r.pairs)} pairs/s)` : ''} | ${fmt(r.m.requestsPerSecond / base(r).m.requestsPerSecond, 2)} | ` +
    `${fmt(r.m.latencyMs.p50, 1)} / ${fmt(r.m.latencyMs.p99, 1)} | ${fmt(r.appMicros)} | ${fmt(r.proxyMicros)} | ${fmt(r.m.cpuMicrosPerRequest.redis)} | ` +
    `${fmt(r.appPercent)} / ${fmt(r.proxyPercent)} / ${fmt(r.m.cpuPercent.redis)} / ${fmt(r.m.cpuPercent.wrk)} |`;
  const mean = (rows: LoadRow[], f: (r: LoadRow) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const none = dur.filter((r) => r.label.endsWith('none'));
  const rep = dur.filter((r) => r.label.endsWith('replica'));
  const durLine = (r: LoadRow) =>
    `| ${r.label} | ${fmt(r.m.requestsPerSecond)} (${fmt(r.pairs)} pairs/s) | ${fmt(r.m.latencyMs.p50, 1)} / ${fmt(r.m.latencyMs.p99, 1)} | ${fmt(r.appMicros)} | ${fmt(r.m.cpuMicrosPerRequest.redis)} |`;
  const c = typeof ceiling === 'string' ? null : ceiling;
  return [
    '### Fleet (`npm run bench -- fleet`)',
    '',
    'Through HAProxy, on a Redis Cluster of 3 primaries and 3 replicas (`PURCHASE_DURABILITY=replica`); "vs 1" is against the same load on 1 instance in this run. CPU µs per request: all instances together, HAProxy, and the shard that holds the sale.',
    '',
    '| Load | Req/s | vs 1 | p50 / p99 ms | Instances CPU µs/req | HAProxy CPU µs/req | Shard CPU µs/req | CPU %: instances / HAProxy / shard / wrk |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |',
    ...scale.map(scaleLine),
    '',
    c
      ? `One shard's ceiling for purchase.lua (redis-benchmark, ${c.clients} connections, EVALSHA straight to one redis-server with AOF): ` +
        `**${fmt(c.scriptsPerSecond)} scripts/s** (p50 ${fmt(c.p50Ms, 2)} ms, p99 ${fmt(c.p99Ms, 2)} ms), Redis CPU **${fmt(c.redisMicrosPerCall, 1)} µs per call** ` +
        `(INFO commandstats; ${fmt(c.redisCpuPercent)}% of a core meanwhile); ${fmt(c.freshPurchases)} of ${fmt(c.calls)} calls bought (the rest drew a code already spent and answered its stored result).`
      : `One shard's ceiling: failed (${ceiling})`,
    '',
    'Cost of `PURCHASE_DURABILITY=replica` (pairs on one instance, on a primary with one replica, runs alternating):',
    '',
    '| Load | Req/s | p50 / p99 ms | App CPU µs/req | Primary CPU µs/req |',
    '| --- | ---: | --- | ---: | ---: |',
    ...dur.map(durLine),
    '',
    none.length && rep.length
      ? `Mean: none ${fmt(mean(none, (r) => r.m.requestsPerSecond))} req/s, p99 ${fmt(
          mean(none, (r) => r.m.latencyMs.p99),
          1,
        )} ms; replica ` +
        `${fmt(mean(rep, (r) => r.m.requestsPerSecond))} req/s, p99 ${fmt(
          mean(rep, (r) => r.m.latencyMs.p99),
          1,
        )} ms: replica at ` +
        `${fmt(mean(rep, (r) => r.m.requestsPerSecond) / mean(none, (r) => r.m.requestsPerSecond), 2)} of none's req/s.`
      : '',
  ];
}

export const FLEET: TaskScenario = {
  name: 'fleet',
  group: 'fleet',
  world: 'fleet',
  optIn: true,
  async run(_data: Data): Promise<TaskResult> {
    const problems: string[] = [];
    let scale: LoadRow[] = [];
    let dur: LoadRow[] = [];
    let ceiling: Ceiling | string;
    try {
      scale = (await scaling()).rows;
    } catch (e) {
      problems.push(`fleet scaling: ${(e as Error).message}`);
    }
    try {
      ceiling = await shardCeiling();
    } catch (e) {
      ceiling = (e as Error).message;
      problems.push(`fleet shard ceiling: ${ceiling}`);
    }
    try {
      dur = await durability();
    } catch (e) {
      problems.push(`fleet durability: ${(e as Error).message}`);
    }
    return { name: 'fleet', section: section(scale, ceiling, dur), json: { scale, ceiling, durability: dur }, problems };
  },
};
