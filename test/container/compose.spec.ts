import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NO_INSTANCE_READY, haproxyConfig } from '../../scripts/fleet/haproxy';
import { DURABLE_NODE_ARGS } from '../../scripts/fleet/redis-fleet';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { ROOT } from '../support/processes';

/*
 * docker-compose.yml cannot be brought up here (its redis and postgres images cannot be pulled), so this checks
 * that it holds together: it references only what exists, the app's settings pass the app's own validation and
 * point at the compose services, and Redis runs as README "Durability" says. The container spec also has
 * podman-compose read it. The Dockerfile must keep building unchanged elsewhere: official base by default.
 * Its "fleet" profile is the fleet of `npm run fleet` (scripts/fleet/): the same Redis settings, the same
 * HAProxy configuration, and app settings that hold together across the services.
 */

// js-yaml comes with the production tree (cosmiconfig, through nest-commander); it has no types of its own here.
const yaml: { load(text: string): unknown } = require('js-yaml');

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}

const compose = yaml.load(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
};
const { app, redis, postgres } = compose.services;
const envOf = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
const env = envOf(app);
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  it('has the app and its two dependencies, the app built from the Dockerfile beside it', () => {
    // Outside any profile: what `docker compose up` starts.
    const always = Object.entries(compose.services).filter(([, s]) => !s.profiles);
    expect(always.map(([name]) => name).sort()).toEqual(['app', 'postgres', 'redis']);
    const build = typeof app.build === 'string' ? { context: app.build } : app.build!;
    const dockerfile = path.join(ROOT, build.context, build.dockerfile ?? 'Dockerfile');
    expect(existsSync(dockerfile)).toBe(true);
    expect(redis.image).toMatch(/^redis:7/);
    expect(postgres.image).toMatch(/^postgres:1[3-9]/);
  });

  it("gives the app settings that pass the app's own validation and point at the compose services", () => {
    const config = loadConfig(env);
    expect(config.HOST).toBe('0.0.0.0');
    expect(app.ports).toEqual([`${config.PORT}:${config.PORT}`]);
    expect(new URL(config.REDIS_URL).hostname).toBe('redis');
    const db = new URL(config.DATABASE_URL);
    expect(db.hostname).toBe('postgres');
    expect({ user: db.username, password: db.password, db: db.pathname.slice(1) }).toEqual({
      user: postgres.environment!.POSTGRES_USER,
      password: postgres.environment!.POSTGRES_PASSWORD,
      db: postgres.environment!.POSTGRES_DB,
    });
    // The stop grace outlasts the app's own shutdown grace, so a stop is never a SIGKILL mid-shutdown.
    expect(seconds(app.stop_grace_period!) * 1000).toBeGreaterThan(config.SHUTDOWN_GRACE_MS);
  });

  it('starts the app only once both dependencies pass their health checks', () => {
    expect(app.depends_on).toEqual({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(postgres.healthcheck?.test?.join(' ')).toContain(
      `pg_isready -U ${postgres.environment!.POSTGRES_USER} -d ${postgres.environment!.POSTGRES_DB}`,
    );
  });

  it('uses exactly the named volumes it declares', () => {
    // Bind mounts (./ops/...) are files of the repository, and must exist.
    const mounts = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    const named = mounts.filter((m) => !m.startsWith('.') && !m.startsWith('/'));
    expect(named.sort()).toEqual(Object.keys(compose.volumes ?? {}).sort());
    for (const file of mounts.filter((m) => m.startsWith('.'))) expect(existsSync(path.join(ROOT, file))).toBe(true);
  });

  it('runs Redis as README "Durability" says: append-only file, fsync every second, no eviction, no RDB forks', () => {
    const flags = redis.command!.join(' ');
    expect(flags).toContain('--appendonly yes');
    expect(flags).toContain('--appendfsync everysec');
    expect(flags).toContain('--maxmemory-policy noeviction');
    // As setup.sh runs it: the AOF is the persistence, and a snapshot would fork the dataset every minute.
    expect(redis.command![redis.command!.indexOf('--save') + 1]).toBe('');
  });
});

describe('docker-compose.yml, profile "fleet"', () => {
  const fleet = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('fleet'));
  const named = (prefix: string) => fleet.filter(([name]) => name.startsWith(prefix));
  const nodes = named('redis-node-');
  const apis = named('api-');
  const { worker, haproxy } = compose.services;
  const init = compose.services['redis-cluster-init']!;

  it('is the fleet of npm run fleet: a Cluster of six nodes and its init, 3 API instances, a worker, HAProxy', () => {
    expect(fleet.map(([name]) => name).sort()).toEqual(
      ['api-1', 'api-2', 'api-3', 'haproxy', 'redis-cluster-init', 'worker', ...[1, 2, 3, 4, 5, 6].map((i) => `redis-node-${i}`)].sort(),
    );
    for (const [, s] of fleet) expect(s.profiles).toEqual(['fleet']);
  });

  it('runs every Redis node as npm run fleet does: Cluster mode, AOF, no eviction, min-replicas-to-write', () => {
    for (const [name, node] of nodes) {
      expect({ name, image: node.image }).toEqual({ name, image: redis.image });
      const command = node.command!;
      expect(command.slice(0, 3)).toEqual(['redis-server', '--cluster-enabled', 'yes']);
      // DURABLE_NODE_ARGS: the settings scripts/fleet/redis-fleet.ts gives every node, flag by flag.
      for (let i = 0; i < DURABLE_NODE_ARGS.length; i += 2) {
        const at = command.indexOf(DURABLE_NODE_ARGS[i]!);
        expect({ name, flag: DURABLE_NODE_ARGS[i], value: at < 0 ? undefined : command[at + 1] }).toEqual({
          name,
          flag: DURABLE_NODE_ARGS[i],
          value: DURABLE_NODE_ARGS[i + 1],
        });
      }
      expect(node.volumes).toEqual([`${name}:/data`]);
      expect(node.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    }
  });

  it('makes one cluster of exactly those nodes, 3 primaries with a replica each, once they are healthy', () => {
    const script = init.command!.join(' ');
    // Each node's address, in order, from its own name; then one `--cluster create` of them all.
    const loop = /for n in ([\d ]+); do\s+nodes="\$\$nodes \$\$\(redis-cli -h redis-node-\$\$n client info/.exec(script);
    expect(
      loop?.[1]!
        .trim()
        .split(' ')
        .map((n) => `redis-node-${n}`),
    ).toEqual(nodes.map(([name]) => name));
    expect(script).toMatch(/redis-cli --cluster create \$\$nodes --cluster-replicas 1 --cluster-yes/);
    expect(init.depends_on).toEqual(Object.fromEntries(nodes.map(([name]) => [name, { condition: 'service_healthy' }])));
  });

  it("gives the instances and the worker settings that pass the app's own validation and name the fleet's services", () => {
    for (const [name, s] of [...apis, ['worker', worker!] as const]) {
      const config = loadConfig(envOf(s));
      expect({ name, REDIS_URL: envOf(s).REDIS_URL }).toEqual({ name, REDIS_URL: undefined });
      expect(
        config
          .REDIS_CLUSTER_NODES!.split(',')
          .map((n) => n.split(':')[0])
          .sort(),
      ).toEqual(nodes.map(([n]) => n).sort());
      expect(new URL(config.DATABASE_URL).hostname).toBe('postgres');
      expect(config.WORKER_ENABLED).toBe(name !== 'worker' ? false : true);
      expect(seconds(s.stop_grace_period!) * 1000).toBeGreaterThan(config.SHUTDOWN_GRACE_MS);
      expect(s.depends_on).toEqual({
        'redis-cluster-init': { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
      });
      expect(s.build).toBe('.');
    }
    expect(worker!.command).toEqual(['node', 'dist/worker.js']);
    // The instances believe X-Forwarded-For from the project's network alone (they publish no port).
    const subnet = compose.networks!.default!.ipam!.config![0]!.subnet;
    for (const [, s] of apis) {
      expect(loadConfig(envOf(s)).TRUST_PROXY).toBe(subnet);
      expect(s.ports).toBeUndefined();
    }
  });

  it("puts HAProxy in front of the instances with npm run fleet's configuration, once they are healthy", () => {
    const ports = apis.map(([, s]) => loadConfig(envOf(s)).PORT);
    const backends = apis.map(([name], i) => ({ name: name.replace('-', ''), host: name, port: ports[i]! }));
    const mounted = (target: string) => haproxy!.volumes!.find((v) => v.split(':')[1] === target)!.split(':')[0]!;
    const cfg = readFileSync(path.join(ROOT, mounted('/usr/local/etc/haproxy/haproxy.cfg')), 'utf8');
    const errorFile = '/usr/local/etc/haproxy/503.http';
    // The file, less its comment, is what haproxyConfig makes for these instances (the fleet's tests run that).
    expect(cfg.replace(/^#.*\n/gm, '')).toBe(haproxyConfig(3100, backends, errorFile, 3101, '0.0.0.0'));
    expect(readFileSync(path.join(ROOT, mounted(errorFile)), 'utf8')).toBe(NO_INSTANCE_READY);
    expect(haproxy!.ports).toEqual(['3100:3100', '3101:3101']);
    expect(haproxy!.depends_on).toEqual({
      ...Object.fromEntries(apis.map(([name]) => [name, { condition: 'service_healthy' }])),
      worker: { condition: 'service_started' },
    });
  });
});

describe('Dockerfile', () => {
  it('builds from the official Node image unless told otherwise, both stages from the same base', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile.match(/^FROM .*$/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
  });
});
