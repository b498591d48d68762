import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Client } from 'pg';
import { NodeSecurity, RedisClusterFleet, RedisNode, RedisSentinelFleet, makeCertificates } from '../../scripts/fleet/redis-fleet';
import { freePort } from '../../scripts/fleet/children';
import { redisEnv } from '../support/fleet';
import { pgClient, prepareSaleOn, scratchDatabase, stopFaultDependencies, waitFor } from '../support/faults';
import { ROOT, buildDist } from '../support/processes';
import { TestApp, startTestApp } from '../support/test-app';

/*
 * Passwords, ACL users and TLS on every topology: one server (rediss:// with the user and password in the
 * URL), Sentinel and Cluster (REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS, REDIS_TLS_CA_FILE), each with a CA of
 * the test's own. On each, a sale is loaded, bought and written to PostgreSQL, readiness reports the
 * topology, and a wrong password is refused (the CLI says Redis is not reachable, in one line).
 */

jest.setTimeout(180_000);

const USER = 'flashsale-app';
const PASSWORD = 'a-long-test-password-0123';

let certDir: string;
let security: NodeSecurity;
let pg: Client;
let databaseUrl: string;

beforeAll(async () => {
  buildDist();
  certDir = mkdtempSync(path.join(os.tmpdir(), 'flashsale-certs-'));
  security = { username: USER, password: PASSWORD, tls: await makeCertificates(certDir) };
  databaseUrl = await scratchDatabase();
  pg = await pgClient(databaseUrl);
}, 60_000);

afterAll(async () => {
  await pg?.end().catch(() => undefined);
  await stopFaultDependencies();
  rmSync(certDir, { recursive: true, force: true });
});

type Topology = 'standalone' | 'sentinel' | 'cluster';

describe.each<Topology>(['standalone', 'cluster', 'sentinel'])('%s with an ACL user, a password and TLS', (topology) => {
  let stop: () => Promise<void>;
  let env: Record<string, string>;
  let t: TestApp | undefined;

  beforeAll(async () => {
    await pg.query('TRUNCATE order_items, orders, items, sales, checkout_attempt_entries RESTART IDENTITY CASCADE');
    if (topology === 'standalone') {
      const port = await freePort();
      const node = await RedisNode.start(
        port,
        mkdtempSync(path.join(os.tmpdir(), 'flashsale-tls-')),
        ['--save', '', '--appendonly', 'no'],
        undefined,
        security,
      );
      stop = () => node.stop();
      env = { REDIS_URL: `rediss://${USER}:${PASSWORD}@127.0.0.1:${port}/0`, REDIS_TLS_CA_FILE: security.tls!.ca };
    } else {
      const fleet =
        topology === 'cluster'
          ? await RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 1, security })
          : await RedisSentinelFleet.start({ replicas: 1, security });
      stop = () => fleet.stop();
      env = { ...redisEnv(fleet), REDIS_USERNAME: USER, REDIS_PASSWORD: PASSWORD, REDIS_TLS: 'true', REDIS_TLS_CA_FILE: security.tls!.ca };
    }
    env.DATABASE_URL = databaseUrl;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await stop?.();
  });

  it('loads a sale, sells it and writes the order, and reports the topology in readiness', async () => {
    await prepareSaleOn({ ...env, DATABASE_URL: databaseUrl }, { itemsTotal: 5, saleCap: 5, perUserLimit: 2 });
    t = await startTestApp(env);
    const sale = (await request(t.url).get('/sales/active')).body;
    const item = (await request(t.url).get(`/sales/${sale.id}/items`)).body.items[0].id;
    const code = (await request(t.url).post('/checkout').query({ user_id: 'secure', id: item })).body.code;
    const bought = await request(t.url).post('/purchase').query({ code });
    expect(bought.status).toBe(200);
    expect(bought.body.purchased).toEqual([item]);
    const written = await waitFor(
      async () => (await pg.query('SELECT id FROM orders WHERE checkout_code = $1', [code])).rows.map((r) => r.id),
      (ids) => ids.length === 1,
      30_000,
    );
    expect(written.value).toEqual([bought.body.orderId]);
    const ready = await request(t.url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.redis.replication.topology).toBe(topology);
  });

  it('is refused with a wrong password: the CLI says Redis is not reachable, in one line', () => {
    const wrong =
      topology === 'standalone'
        ? { REDIS_URL: env.REDIS_URL!.replace(PASSWORD, 'not-the-password') }
        : { REDIS_PASSWORD: 'not-the-password' };
    const r = spawnSync(process.execPath, ['dist/cli.js', 'sale:list'], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...wrong },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: Redis is not reachable/);
    expect(r.stderr).not.toContain('not-the-password');
  });
});
