import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Child, GiveUp, freePort, until } from './children';
import { Haproxy } from './haproxy';
import { RedisClusterFleet, RedisSentinelFleet } from './redis-fleet';

/*
 * `npm run fleet [-- --sentinel] [-- --any-ports]` (scripts/fleet.sh sets up, then runs this): the whole fleet
 * on loopback ports of this machine. A Redis Cluster of 3 primaries with a replica each (or, with --sentinel,
 * a primary, 2 replicas and 3 sentinels), 3 API instances (WORKER_ENABLED=false), 1 order worker, and HAProxy
 * in front of the instances health-checking /health/serving. PostgreSQL is the machine's (DATABASE_URL). The
 * instances' scheduler makes the current sale, so the fleet can be used at once. Prints where everything is;
 * Ctrl-C or SIGTERM stops it all, in order, and removes the Redis data (logs stay in FLEET_DIR/logs).
 *
 * Ports: HAProxy on FLEET_PORT (3100), its stats page on FLEET_PORT+1, the instances on FLEET_PORT+11..13,
 * Redis on FLEET_REDIS_PORT (7101) and up, sentinels on FLEET_REDIS_PORT+100 and up; --any-ports takes free
 * ports instead (for tests, or beside another fleet).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const unknown = args.filter((a) => !['--sentinel', '--any-ports'].includes(a));
if (unknown.length) {
  process.stderr.write(`npm run fleet: unknown option ${unknown.join(' ')} (options: --sentinel, --any-ports)\n`);
  process.exit(2);
}
const SENTINEL = args.includes('--sentinel');
const ANY_PORTS = args.includes('--any-ports');
const API_COUNT = 3;
const DIR = path.resolve(ROOT, process.env.FLEET_DIR || '.data/fleet');
const LOGS = path.join(DIR, 'logs');

const say = (line: string) => process.stderr.write(`\x1b[1m[fleet]\x1b[0m ${line}\n`);

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65000) {
    say(`${name}=${raw}: expected a port number`);
    process.exit(2);
  }
  return n;
}

interface Ports {
  proxy: number;
  stats: number;
  apis: number[];
  redis: number[];
}

/** The fixed layout, or free ports with --any-ports. */
async function choosePorts(): Promise<Ports> {
  // Six either way: 3 primaries and 3 replicas, or a primary, 2 replicas and 3 sentinels.
  const redisCount = 6;
  if (ANY_PORTS) {
    const free = async (n: number) => {
      const ports: number[] = [];
      while (ports.length < n) {
        const p = await freePort();
        if (!ports.includes(p)) ports.push(p);
      }
      return ports;
    };
    const [proxy, stats, ...apis] = await free(2 + API_COUNT);
    return { proxy: proxy!, stats: stats!, apis, redis: await free(redisCount) };
  }
  const base = portSetting('FLEET_PORT', 3100);
  const redisBase = portSetting('FLEET_REDIS_PORT', 7101);
  const redis = SENTINEL
    ? [redisBase, redisBase + 1, redisBase + 2, redisBase + 100, redisBase + 101, redisBase + 102]
    : Array.from({ length: redisCount }, (_, i) => redisBase + i);
  const ports = { proxy: base, stats: base + 1, apis: Array.from({ length: API_COUNT }, (_, i) => base + 11 + i), redis };
  const taken: number[] = [];
  for (const p of [ports.proxy, ports.stats, ...ports.apis, ...ports.redis]) if (!(await isFree(p))) taken.push(p);
  if (taken.length) {
    say(
      `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} in use: another fleet running? ` +
        'Stop it, choose others with FLEET_PORT / FLEET_REDIS_PORT, or pass --any-ports',
    );
    process.exit(1);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `node dist/<entry>` with its output in FLEET_DIR/logs/<name>.log. */
function startNode(name: string, entry: string, env: NodeJS.ProcessEnv): Child {
  const child = new Child(name, process.execPath, [path.join(ROOT, 'dist', entry)], env, ROOT);
  const log = createWriteStream(path.join(LOGS, `${name}.log`));
  child.process.stdout!.pipe(log);
  child.process.stderr!.pipe(log);
  return child;
}

async function waitReady(name: string, child: Child, url: string): Promise<void> {
  await until(
    async () => {
      if (!child.running) throw new GiveUp(`${name} exited; see ${path.relative(ROOT, path.join(LOGS, `${name}.log`))}`);
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200;
    },
    120_000,
    `${name} to be ready at ${url}/health/ready`,
    200,
  );
}

let stopping: Promise<void> | null = null;
const parts: { proxy?: Haproxy; apis: Child[]; worker?: Child; redis?: RedisClusterFleet | RedisSentinelFleet } = { apis: [] };

/** Stops what runs, in order: nothing new comes in, the instances and the worker finish, then Redis. */
function stop(why: string): Promise<void> {
  stopping ??= (async () => {
    say(`${why}: stopping the fleet`);
    await parts.proxy?.stop().catch(() => undefined);
    // Each app finishes its in-flight requests and jobs within SHUTDOWN_GRACE_MS (10 s by default).
    await Promise.all([...parts.apis, ...(parts.worker ? [parts.worker] : [])].map((c) => c.stop('SIGTERM', 20_000)));
    await parts.redis?.stop().catch(() => undefined);
    say('stopped');
  })();
  return stopping;
}

async function main(): Promise<void> {
  // Ctrl-C at the terminal goes to the runner alone; it stops the children itself, in order.
  Child.ownProcessGroups = true;
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Another Ctrl-C a while later: no more waiting (the exit handler of children.ts SIGKILLs whatever still
      // runs). One within a second is the same Ctrl-C delivered twice (npm, or `timeout`, passing it on).
      if (firstSignalAt && Date.now() - firstSignalAt > 1_000) process.exit(130);
      firstSignalAt ||= Date.now();
      void stop(signal).then(() => process.exit(0));
    });
  }
  mkdirSync(LOGS, { recursive: true });
  const ports = await choosePorts();
  const databaseUrl = process.env.DATABASE_URL!;

  say(SENTINEL ? 'starting Redis: a primary, 2 replicas, 3 sentinels' : 'starting a Redis Cluster: 3 primaries, 3 replicas');
  const redis = SENTINEL
    ? await RedisSentinelFleet.start({ replicas: 2, sentinels: 3, dataDir: DIR, ports: ports.redis })
    : await RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 1, dataDir: DIR, ports: ports.redis });
  parts.redis = redis;
  if (stopping) return;
  const topology: Record<string, string> =
    redis instanceof RedisClusterFleet
      ? { REDIS_CLUSTER_NODES: redis.nodesVariable }
      : { REDIS_SENTINELS: redis.sentinelsVariable, REDIS_SENTINEL_MASTER: redis.masterName };

  const env: NodeJS.ProcessEnv = { ...process.env, ...topology, HOST: '127.0.0.1', DATABASE_URL: databaseUrl, TRUST_PROXY: '127.0.0.1' };
  // One topology at a time: the fleet's, not a REDIS_URL from the environment.
  delete env.REDIS_URL;

  say(`starting ${API_COUNT} API instances and the order worker (logs in ${LOGS}/)`);
  const apiUrls = ports.apis.map((p) => `http://127.0.0.1:${p}`);
  parts.apis = ports.apis.map((port, i) => startNode(`api${i + 1}`, 'main.js', { ...env, PORT: String(port), WORKER_ENABLED: 'false' }));
  parts.worker = startNode('worker', 'worker.js', env);
  await Promise.all(parts.apis.map((c, i) => waitReady(`api${i + 1}`, c, apiUrls[i]!)));
  if (stopping) return;

  parts.proxy = await Haproxy.start(
    ports.proxy,
    ports.apis.map((port, i) => ({ name: `api${i + 1}`, port })),
    ports.stats,
  );
  const url = parts.proxy.url;
  // The instances' scheduler makes the current window's sale and loads it; wait until buyers can see it.
  let sale: { id: number; endsAt: string; itemsTotal: number } | undefined;
  await until(
    async () => {
      const res = await fetch(`${url}/sales/active`, { signal: AbortSignal.timeout(2_000) });
      if (res.status !== 200) return false;
      sale = (await res.json()) as typeof sale;
      return true;
    },
    60_000,
    'a live sale behind HAProxy',
    250,
  );
  if (stopping) return;

  // REDIS_URL emptied: a REDIS_URL exported in the user's shell would name a second topology.
  const cliEnv = [['REDIS_URL', ''], ...Object.entries(topology), ['DATABASE_URL', databaseUrl]].map(([k, v]) => `${k}=${v}`).join(' ');
  const redisLines =
    redis instanceof RedisClusterFleet
      ? [
          `    Redis Cluster  ${redis.nodes.map((n) => n.port).join(', ')} on 127.0.0.1 (3 primaries, 3 replicas; AOF, noeviction, min-replicas-to-write 1)`,
        ]
      : [
          `    Redis          ${redis.dataNodes.map((n) => n.port).join(', ')} on 127.0.0.1 (primary ${redis.dataNodes[0]!.port}, 2 replicas; AOF, noeviction, min-replicas-to-write 1)`,
          `    sentinels      ${redis.sentinels.map((n) => n.port).join(', ')} (primary name "${redis.masterName}")`,
        ];
  process.stderr.write(
    [
      '',
      `  Flashsale fleet is up: ${url}`,
      `    storefront     ${url}/`,
      `    dashboard      ${url}/admin   admin token: ${process.env.ADMIN_TOKEN ?? '(none: ADMIN_TOKEN unset)'}`,
      `    API            ${url}/sales/active, POST ${url}/checkout, POST ${url}/purchase`,
      `    live sale      ${sale!.id}: ${sale!.itemsTotal} items until ${sale!.endsAt}`,
      `    HAProxy        127.0.0.1:${ports.proxy} (round robin, checks /health/serving every second); stats http://127.0.0.1:${ports.stats}/`,
      ...ports.apis.map(
        (p, i) =>
          `    api${i + 1}           ${apiUrls[i]} (WORKER_ENABLED=false), pid ${parts.apis[i]!.process.pid}, metrics ${apiUrls[i]}/metrics`,
      ),
      `    worker         node dist/worker.js, pid ${parts.worker.process.pid}`,
      ...redisLines,
      `    PostgreSQL     ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
      `    logs           ${LOGS}/`,
      '  Admin CLI against the fleet:',
      `    ${cliEnv} npm run cli -- sale:list`,
      ...((process.env.AUTH_MODE || 'session') === 'session'
        ? [
            "  Accounts: sign up on the storefront; with no SMTP_URL the sign-in code is in the instances' logs and in the CLI's mail:outbox",
          ]
        : [`  AUTH_MODE=${process.env.AUTH_MODE}`]),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );

  // An instance or the worker that dies is reported; HAProxy keeps serving from the others.
  for (const c of [...parts.apis, parts.worker])
    void c.exited.then((exit) => {
      if (!stopping) say(`${c.name} exited (${exit.signal ?? `code ${exit.code}`}); see ${path.join(LOGS, `${c.name}.log`)}`);
    });
}

main().catch(async (e: Error) => {
  say(`failed: ${e.message}`);
  await stop('failed');
  process.exit(1);
});
