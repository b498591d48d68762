import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { ROOT } from '../support/processes';

/*
 * docker-compose.yml cannot be brought up here (its redis and postgres images cannot be pulled), so this checks
 * that it holds together: it references only what exists, the app's settings pass the app's own validation and
 * point at the compose services, and Redis runs as README "Durability" says. The container spec also has
 * podman-compose read it. The Dockerfile must keep building unchanged elsewhere: official base by default.
 */

// js-yaml comes with the production tree (cosmiconfig, through nest-commander); it has no types of its own here.
const yaml: { load(text: string): unknown } = require('js-yaml');

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const compose = yaml.load(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const { app, redis, postgres } = compose.services;
const env = Object.fromEntries(Object.entries(app.environment ?? {}).map(([k, v]) => [k, String(v)]));
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  it('has the app and its two dependencies, the app built from the Dockerfile beside it', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
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
    expect(postgres.healthcheck?.test.join(' ')).toContain(
      `pg_isready -U ${postgres.environment!.POSTGRES_USER} -d ${postgres.environment!.POSTGRES_DB}`,
    );
  });

  it('uses exactly the named volumes it declares', () => {
    const used = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]));
    expect(used.sort()).toEqual(Object.keys(compose.volumes ?? {}).sort());
  });

  it('runs Redis as README "Durability" says: append-only file, fsync every second, no eviction', () => {
    const flags = redis.command!.join(' ');
    expect(flags).toContain('--appendonly yes');
    expect(flags).toContain('--appendfsync everysec');
    expect(flags).toContain('--maxmemory-policy noeviction');
  });
});

describe('Dockerfile', () => {
  it('builds from the official Node image unless told otherwise, both stages from the same base', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile.match(/^FROM .*$/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
  });
});
