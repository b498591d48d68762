import http from 'node:http';
import { Cluster } from 'ioredis';
import { Haproxy } from '../../scripts/fleet/haproxy';
import { RedisClusterFleet, RedisSentinelFleet } from '../../scripts/fleet/redis-fleet';
import { NodeProcess, freePort, spawnDist, waitUntilReady } from './processes';

/*
 * The fleet in the fault suite: API instances and an order worker (node dist/...), HAProxy in front of the
 * instances, on a Redis Cluster or Sentinel set of the test's own (scripts/fleet/redis-fleet.ts).
 */

export interface AppFleet {
  readonly proxy: Haproxy;
  readonly apis: NodeProcess[];
  readonly apiUrls: string[];
  readonly worker: NodeProcess | null;
  stop(): Promise<void>;
}

/** The app's environment for a Cluster or a Sentinel set (REDIS_URL emptied: one topology at a time). */
export function redisEnv(redis: RedisClusterFleet | RedisSentinelFleet): Record<string, string> {
  return redis instanceof RedisClusterFleet
    ? { REDIS_URL: '', REDIS_CLUSTER_NODES: redis.nodesVariable }
    : { REDIS_URL: '', REDIS_SENTINELS: redis.sentinelsVariable, REDIS_SENTINEL_MASTER: redis.masterName };
}

/**
 * `apis` API instances (WORKER_ENABLED=false) behind HAProxy, and one `node dist/worker.js`, all ready. Each
 * instance gets `env` on top of the test environment, and its own PORT.
 */
export async function startAppFleet(env: Record<string, string>, options: { apis?: number; worker?: boolean } = {}): Promise<AppFleet> {
  const ports = await Promise.all(Array.from({ length: options.apis ?? 3 }, () => freePort()));
  const apis = ports.map((port) => spawnDist('main.js', { ...env, PORT: String(port), WORKER_ENABLED: 'false' }));
  const apiUrls = ports.map((p) => `http://127.0.0.1:${p}`);
  await Promise.all(apis.map((api, i) => waitUntilReady(apiUrls[i]!, api, 30_000)));
  const worker = options.worker === false ? null : spawnDist('worker.js', env);
  const proxy = await Haproxy.start(
    await freePort(),
    ports.map((port, i) => ({ name: `api${i + 1}`, port })),
  );
  return {
    proxy,
    apis,
    apiUrls,
    worker,
    stop: async () => {
      await proxy.stop();
      await Promise.all([...apis, ...(worker ? [worker] : [])].map((p) => p.kill()));
    },
  };
}

/** A client of the test's own on the cluster (for reading state; not the app's). */
export function clusterClient(fleet: RedisClusterFleet): Cluster {
  const c = new Cluster(
    fleet.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    { redisOptions: { maxRetriesPerRequest: 3 }, retryDelayOnFailover: 200, slotsRefreshTimeout: 2_000 },
  );
  c.on('error', () => undefined);
  return c;
}

/** A keep-alive agent for many concurrent requests through the proxy. */
export const agent = (sockets = 100) => new http.Agent({ keepAlive: true, maxSockets: sockets });
