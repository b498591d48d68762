import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { HttpResult, ROOT, httpRequest } from '../support/processes';
import { eventually } from '../support/test-env';

/*
 * The single-container deploy, built and run: the Dockerfile is built with podman (scripts/container.sh, from
 * a locally made base where the official Node image cannot be pulled), started against this machine's Redis
 * and PostgreSQL on the host network, held to its own HEALTHCHECK, driven through HTTP and through its admin
 * CLI, and stopped with SIGTERM. It uses its own database, Redis db index and port, so it never touches the
 * suite's data or a running `npm start`. Measurements go to test-output/container.json.
 *
 * Where podman cannot run (not root and no user namespaces) the file says why in one line and is skipped.
 */

const IMAGE = process.env.FLASHSALE_IMAGE ?? 'localhost/flashsale:test';
const NAME = 'flashsale-container-test';
const PORT = 3900;
const REDIS_DB = 12;
const DATABASE = 'flashsale_container';
const GRACE_MS = 10_000;
const SALE_ITEMS = 60;
const BASE_URL = `http://127.0.0.1:${PORT}`;
const CONTAINERS_CONF = path.join(ROOT, '.data', 'containers', 'containers.conf');

// --- can podman run here? (installs it when missing and root) ------------------------------------------------
const check = spawnSync('bash', ['scripts/container.sh', 'check'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
let skipReason: string | undefined;
if (check.status === 3) {
  skipReason = check.stdout.trim().split('\n')[0] || 'podman cannot run here';
  process.stderr.write(`[container] test skipped: ${skipReason}\n`);
} else if (check.status !== 0) {
  throw new Error(`scripts/container.sh check failed (exit ${check.status ?? check.signal})`);
}
const describeIfPodman = skipReason ? describe.skip : describe;

// --- podman ---------------------------------------------------------------------------------------------------
interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Podman without systemd reports on every run that it cannot add healthcheck timers: noise, we run checks ourselves. */
const podmanNoise = /unable to get systemd connection|Removing timer for container/;
const quiet = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l && !podmanNoise.test(l))
    .join('\n');

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; echoStderr?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, CONTAINERS_CONF }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.echoStderr) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: quiet(stderr) });
    });
    child.stdin.end(opts.input ?? '');
  });
}

const podman = (args: string[], opts?: { input?: string; timeoutMs?: number }) => run('podman', args, opts);

async function podmanOk(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The admin CLI inside the running container, as its own user with its environment. */
async function cli<T>(...args: string[]): Promise<T> {
  const out = await podmanOk(['exec', NAME, 'node', 'dist/cli.js', ...args, '--json']);
  return JSON.parse(out) as T;
}

/** Which of these paths (relative to /app) exist in the running container. */
async function existingIn(paths: string[]): Promise<string[]> {
  const probe = `const fs = require('fs'); const paths = fs.readFileSync(0, 'utf8').split('\\n').filter(Boolean);
    console.log(JSON.stringify(paths.filter((p) => fs.existsSync('/app/' + p))));`;
  return JSON.parse(await podmanOk(['exec', '-i', NAME, 'node', '-e', probe], { input: paths.join('\n') }));
}

/** The container's last log lines, without Nest's start-up listing of modules and routes. */
async function containerLogs(lines = 40): Promise<string> {
  const r = await podman(['logs', NAME]);
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => !/"context":"(RouterExplorer|RoutesResolver|InstanceLoader)"/.test(l))
    .slice(-lines)
    .join('\n');
}

/** Runs a test body; on failure the error carries the container's last log lines. */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = e as Error;
    err.message += `\n--- container ${NAME}, last log lines ---\n${await containerLogs().catch((x: Error) => x.message)}`;
    throw err;
  }
}

async function state(): Promise<{ Running: boolean; ExitCode: number; Status: string; Health?: { Status: string } }> {
  return JSON.parse(await podmanOk(['inspect', '--format', '{{json .State}}', NAME]));
}

/**
 * Runs the image's own HEALTHCHECK (podman runs it on a timer only under systemd, so the test runs it) until
 * it passes; throws if the container stops or it never passes.
 */
async function waitHealthy(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await podman(['healthcheck', 'run', NAME]);
    if (r.code === 0) return;
    const s = await state();
    if (!s.Running) throw new Error(`the container stopped before it was healthy (exit ${s.ExitCode})`);
    if (Date.now() > deadline) throw new Error(`the container was not healthy after ${timeoutMs} ms (${r.stdout.trim()} ${r.stderr})`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** SIGTERM, then the exit code and how long the exit took (wall clock, podman's own overhead included). */
async function stopWithSigterm(): Promise<{ exitCode: number; ms: number }> {
  const t0 = Date.now();
  await podmanOk(['kill', '--signal', 'TERM', NAME]);
  const waited = await podman(['wait', NAME], { timeoutMs: GRACE_MS + 20_000 });
  const ms = Date.now() - t0;
  if (waited.code !== 0) {
    await podman(['kill', '--signal', 'KILL', NAME]);
    throw new Error(`the container did not exit within ${GRACE_MS + 20_000} ms of SIGTERM`);
  }
  return { exitCode: Number(waited.stdout.trim()), ms };
}

// --- the stores the container uses -------------------------------------------------------------------------------
function containerUrls(): { databaseUrl: string; redisUrl: string } {
  const db = new URL(process.env.DATABASE_URL!);
  db.pathname = `/${DATABASE}`;
  const redis = new URL(process.env.REDIS_URL!);
  redis.pathname = `/${REDIS_DB}`;
  return { databaseUrl: db.toString(), redisUrl: redis.toString() };
}

/** A fresh database of the container's own (the flashsale role may create databases) and an empty Redis db. */
async function freshStores(): Promise<void> {
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const redis = new Redis(containerUrls().redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

async function withContainerPg<T>(fn: (pg: Client) => Promise<T>): Promise<T> {
  const pg = new Client({ connectionString: containerUrls().databaseUrl });
  await pg.connect();
  try {
    return await fn(pg);
  } finally {
    await pg.end();
  }
}

// --- what the run measured ---------------------------------------------------------------------------------------
const report: Record<string, unknown> = {};
const agent = new http.Agent({ keepAlive: false });
const post = (p: string): Promise<HttpResult> => httpRequest(agent, 'POST', `${BASE_URL}${p}`);
const get = (p: string): Promise<HttpResult> => httpRequest(agent, 'GET', `${BASE_URL}${p}`);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

interface SaleJson {
  id: number;
  status: string;
  itemsTotal: number;
  itemsSold: number;
}

describeIfPodman('the single-container deploy (podman)', () => {
  let saleId: number;
  let items: number[] = [];
  /** orderId of every purchase answered 200 with items, across the whole file. */
  const acknowledged = new Map<string, { user: string; item: number }>();

  beforeAll(async () => {
    // Build (cached layers make this cheap when nothing changed).
    const t0 = Date.now();
    const build = await run('bash', ['scripts/container.sh', 'build', IMAGE], { timeoutMs: 25 * 60_000, echoStderr: true });
    if (build.code !== 0) throw new Error(`scripts/container.sh build failed (exit ${build.code})`);
    report.buildSeconds = seconds(Date.now() - t0);
    report.baseImageMade = /made localhost\/flashsale-base/.test(build.stderr);
    report.buildSteps = /\(cached (\d+ of \d+) steps\)/.exec(build.stderr)?.[1];
    report.baseImage = /building \S+ from (\S+)/.exec(build.stderr)?.[1];

    await podman(['rm', '-f', '--time', '0', NAME]);
    await freshStores();
    const { databaseUrl, redisUrl } = containerUrls();
    const t1 = Date.now();
    // --health-interval=disable: no systemd timer (there is no systemd); the test runs the image's check itself.
    await podmanOk([
      'run', '--detach', '--name', NAME, '--network=host', '--health-interval=disable',
      '-e', `PORT=${PORT}`, '-e', 'HOST=127.0.0.1',
      '-e', `DATABASE_URL=${databaseUrl}`, '-e', `REDIS_URL=${redisUrl}`,
      '-e', 'AUTH_MODE=trusted', '-e', 'SALE_SCHEDULER_ENABLED=false', '-e', `SHUTDOWN_GRACE_MS=${GRACE_MS}`,
      IMAGE,
    ]); // prettier-ignore
    await withLogs(() => waitHealthy());
    report.healthySeconds = seconds(Date.now() - t1);
  }, 30 * 60_000);

  afterAll(async () => {
    agent.destroy();
    if (Object.keys(report).length > 0) {
      mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
      writeFileSync(
        path.join(ROOT, 'test-output', 'container.json'),
        `${JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2)}\n`,
      );
      process.stderr.write(`[container] ${JSON.stringify(report)}\n`);
    }
    await podman(['rm', '-f', '--time', '0', NAME]);
  }, 60_000);

  it('passes its own HEALTHCHECK, which the image keeps (docker format), and runs as a non-root user', () =>
    withLogs(async () => {
      const [image] = JSON.parse(await podmanOk(['image', 'inspect', IMAGE]));
      expect(image.Healthcheck?.Test?.join(' ')).toContain('/health/serving');
      expect(image.Config.User).toBe('node');
      expect((await state()).Health?.Status).toBe('healthy');

      expect((await podmanOk(['exec', NAME, 'id', '-u'])).trim()).not.toBe('0');
      // The app itself (PID 1 after the entrypoint's exec), not only a shell started with exec.
      const status = await podmanOk(['exec', NAME, 'cat', '/proc/1/status']);
      const [real, effective] = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)!.slice(1).map(Number);
      expect(real).not.toBe(0);
      expect(effective).not.toBe(0);
      expect((await podmanOk(['exec', NAME, 'cat', '/proc/1/cmdline'])).split('\0').slice(0, 2)).toEqual(['node', 'dist/main.js']);

      const bytes = Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim());
      report.imageMB = Math.round(bytes / 1e6);
      expect(bytes).toBeGreaterThan(0);
    }));

  it('holds no dev dependencies, no tests and no test source maps', () =>
    withLogs(async () => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
      const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
      // Every devDependency by name, and every package the lockfile installs only for development, by path.
      const devPaths = [
        ...Object.keys(pkg.devDependencies).map((name) => `node_modules/${name}`),
        ...Object.entries(lock.packages as Record<string, { dev?: boolean }>)
          .filter(([, v]) => v.dev)
          .map(([k]) => k),
      ];
      expect(devPaths).toEqual(
        expect.arrayContaining(['node_modules/jest', 'node_modules/typescript', 'node_modules/ts-jest', 'node_modules/prettier']),
      );
      expect(await existingIn(devPaths)).toEqual([]);
      // The production tree is there (the probe does see packages).
      expect(await existingIn(['node_modules/ioredis', 'node_modules/prisma'])).toHaveLength(2);

      const files = (await podmanOk(['exec', NAME, 'find', '/app', '-path', '/app/node_modules', '-prune', '-o', '-type', 'f', '-print']))
        .split('\n')
        .filter(Boolean);
      expect(files).toContain('/app/dist/main.js');
      expect(files).toContain('/app/dist/cli.js');
      const testish = files.filter((f) =>
        /(^|\/)(test|tests|__tests__)\/|\.(spec|e2e-spec|fault-spec|browser-spec|container-spec|contract)\.|(^|\/)jest\.config/.test(f),
      );
      expect(testish).toEqual([]);
      expect(files.filter((f) => f.startsWith('/app/src/') || f.startsWith('/app/test'))).toEqual([]);
      // Source maps only of the compiled app, each beside its .js.
      const maps = files.filter((f) => f.endsWith('.map'));
      expect(maps.filter((m) => !m.startsWith('/app/dist/') || !files.includes(m.slice(0, -4)))).toEqual([]);
      report.appFiles = files.length;
    }));

  it('runs the admin CLI inside the container: sale:create, then sale:list --json shows it active', () =>
    withLogs(async () => {
      const created = await cli<SaleJson>('sale:create', '--start', 'now', '--end', '+1h', '--items', String(SALE_ITEMS), '--limit', '10');
      expect(created).toMatchObject({ status: 'active', itemsTotal: SALE_ITEMS, itemsSold: 0 });
      saleId = created.id;
      const list = await cli<SaleJson[]>('sale:list');
      expect(list).toEqual([expect.objectContaining({ id: saleId, status: 'active', itemsTotal: SALE_ITEMS })]);
    }));

  it('serves the sale: an active sale, a checkout, and a purchase that lands in PostgreSQL', () =>
    withLogs(async () => {
      const active = await get('/sales/active');
      expect(active.status).toBe(200);
      expect(active.body).toMatchObject({ id: saleId, status: 'active', itemsTotal: SALE_ITEMS, itemsRemaining: SALE_ITEMS });

      const page = await get(`/sales/${saleId}/items?limit=1000`);
      expect(page.status).toBe(200);
      items = (page.body.items as { id: number; sold: boolean }[]).map((i) => i.id);
      expect(items).toHaveLength(SALE_ITEMS);

      const checkout = await post(`/checkout?user_id=smoke&id=${items[0]}`);
      expect(checkout.status).toBe(200);
      expect(checkout.body).toMatchObject({ saleId, items: [items[0]] });
      expect(typeof checkout.body.code).toBe('string');

      const purchase = await post(`/purchase?code=${encodeURIComponent(checkout.body.code)}`);
      expect(purchase.status).toBe(200);
      expect(purchase.body).toMatchObject({ saleId, purchased: [items[0]], failed: [] });
      const orderId: string = purchase.body.orderId;
      expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
      acknowledged.set(orderId, { user: 'smoke', item: items[0] });

      const t0 = Date.now();
      const rows = await eventually(
        () =>
          withContainerPg((pg) =>
            pg.query<{ user_id: string; sale_id: number; item_id: number }>(
              'SELECT o.user_id, o.sale_id, i.item_id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = $1',
              [orderId],
            ),
          ).then((r) => r.rows),
        (r) => r.length > 0,
        20_000,
        100,
      );
      expect(rows).toEqual([{ user_id: 'smoke', sale_id: saleId, item_id: items[0] }]);
      report.orderInPostgresMs = Date.now() - t0;
      expect((await get(`/sales/${saleId}`)).body).toMatchObject({ itemsSold: 1 });
    }));

  it('answers bad requests with problem+json and a code', () =>
    withLogs(async () => {
      const noItem = await post('/checkout?user_id=smoke-2');
      expect(noItem.status).toBe(400);
      expect(noItem.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      expect(noItem.body).toMatchObject({ status: 400, code: 'invalid_request', parameter: 'id' });

      const badCode = await post('/purchase?code=nonsense');
      expect(badCode.status).toBe(400);
      expect(badCode.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      expect(badCode.body).toMatchObject({ code: 'invalid_request', parameter: 'code' });

      const noRoute = await get('/no-such-route');
      expect(noRoute.status).toBe(404);
      expect(noRoute.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      expect(noRoute.body).toMatchObject({ code: 'not_found' });
    }));

  it('stops on SIGTERM under load: exit 0 within SHUTDOWN_GRACE_MS, and every acknowledged purchase is an order in PostgreSQL', () =>
    withLogs(async () => {
      // Buyers keep coming (checkout, then purchase, each its own user and item) while the signal is sent.
      const outcomes: { purchase?: HttpResult; checkout: HttpResult; afterSignal: boolean }[] = [];
      const unanswered = new Set<string>();
      let signalledAt = 0;
      let refusedInARow = 0;
      const flows: Promise<void>[] = [];
      const buyer = async (n: number) => {
        const user = `buyer-${n}`;
        const item = items[n];
        const afterSignal = () => signalledAt > 0;
        const checkout = await post(`/checkout?user_id=${user}&id=${item}`);
        if (checkout.status !== 200) {
          outcomes.push({ checkout, afterSignal: afterSignal() });
          refusedInARow = checkout.error ? refusedInARow + 1 : 0;
          return;
        }
        const purchase = await post(`/purchase?code=${encodeURIComponent(checkout.body.code)}`);
        outcomes.push({ checkout, purchase, afterSignal: afterSignal() });
        if (purchase.status === 200 && purchase.body.orderId) acknowledged.set(purchase.body.orderId, { user, item });
        // The server may have completed a purchase whose answer the shutdown cut off: it may be an order too.
        if (purchase.error) unanswered.add(checkout.body.code);
      };
      const stopping = (async () => {
        await new Promise((r) => setTimeout(r, 400));
        signalledAt = Date.now();
        return stopWithSigterm();
      })();
      for (let n = 1; n < SALE_ITEMS && refusedInARow < 3; n++) {
        flows.push(buyer(n));
        await new Promise((r) => setTimeout(r, 15));
        if (signalledAt && Date.now() - signalledAt > 3_000) break;
      }
      await Promise.all(flows);
      const stop = await stopping;

      expect(stop.exitCode).toBe(0);
      expect(stop.ms).toBeLessThan(GRACE_MS);
      expect((await state()).ExitCode).toBe(0);
      expect(await containerLogs(1000)).toContain('SIGTERM: shutting down');

      // Every answer is a purchase, a 503 while shutting down, or no answer once the server has closed.
      for (const o of outcomes) {
        for (const r of [o.checkout, o.purchase]) {
          if (!r || r.error) continue;
          expect([200, 503]).toContain(r.status);
          if (r.status === 503) expect(r.body).toMatchObject({ code: 'service_unavailable' });
        }
      }
      const purchased = outcomes.filter((o) => o.purchase?.status === 200);
      expect(purchased.length).toBeGreaterThan(0);
      report.stopSeconds = seconds(stop.ms);
      report.stopLoad = {
        buyers: outcomes.length,
        purchasesAcknowledged: purchased.length,
        acknowledgedAfterSignal: purchased.filter((o) => o.afterSignal).length,
        answered503: outcomes.filter((o) => o.checkout.status === 503 || o.purchase?.status === 503).length,
        // Connections the closed server refused (or reset, when one was still in its accept queue).
        noAnswer: outcomes
          .map((o) => o.checkout.error ?? o.purchase?.error)
          .filter(Boolean)
          .reduce<Record<string, number>>((acc, code) => ({ ...acc, [code!]: (acc[code!] ?? 0) + 1 }), {}),
      };

      const written = async () =>
        withContainerPg((pg) =>
          pg.query<{ id: string; checkout_code: string }>('SELECT id, checkout_code FROM orders WHERE sale_id = $1', [saleId]),
        ).then((r) => new Map(r.rows.map((x) => [x.id, x.checkout_code])));
      const writtenAtStop = await written();
      report.ordersWrittenAtStop = `${[...acknowledged.keys()].filter((id) => writtenAtStop.has(id)).length} of ${acknowledged.size}`;

      // Whatever the stop left in the outbox, the next start of the same container writes.
      const t0 = Date.now();
      await podmanOk(['start', NAME]);
      await waitHealthy();
      report.restartHealthySeconds = seconds(Date.now() - t0);
      const shownAfter = () =>
        cli<{ stats: { purchasesAcknowledged: number } | null; ordersWritten: number; outboxLength: number }>('sale:show', String(saleId));
      // Redis's view: every purchase it acknowledged is written, and nothing waits in the outbox.
      const shown = await eventually(
        shownAfter,
        (v) => v.outboxLength === 0 && v.ordersWritten === v.stats?.purchasesAcknowledged,
        30_000,
        500,
      );
      const after = await written();
      expect(shown).toMatchObject({ ordersWritten: after.size, outboxLength: 0, stats: { purchasesAcknowledged: after.size } });
      // Every purchase answered 200 is an order, and every order is one of ours: answered 200, or cut off unanswered.
      expect([...acknowledged.keys()].filter((id) => !after.has(id))).toEqual([]);
      expect([...after].filter(([id, code]) => !acknowledged.has(id) && !unanswered.has(code))).toEqual([]);
      report.ordersWritten = `${after.size} (${acknowledged.size} answered 200, ${after.size - acknowledged.size} cut off unanswered)`;

      const second = await stopWithSigterm();
      expect(second.exitCode).toBe(0);
      expect(second.ms).toBeLessThan(GRACE_MS);
    }));

  it('docker-compose.yml is read by podman-compose: it builds ./Dockerfile and runs app, redis and postgres', async () => {
    // A stand-in for podman that only answers --version, so podman-compose resolves everything and changes nothing.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flashsale-compose-'));
    try {
      const fake = path.join(dir, 'podman');
      writeFileSync(fake, '#!/bin/sh\n[ "$1" = --version ] && echo "podman version 4.3.1"\nexit 0\n');
      chmodSync(fake, 0o755);
      const r = await run('podman-compose', [
        '--podman-path',
        fake,
        '--dry-run',
        '-p',
        'flashsale-compose-check',
        '-f',
        'docker-compose.yml',
        'up',
        '-d',
      ]);
      expect({ code: r.code, traceback: /Traceback|Error/.test(r.stderr) ? r.stderr : '' }).toEqual({ code: 0, traceback: '' });
      expect(r.stdout).toContain('build -t flashsale-compose-check_app -f ./Dockerfile .');
      for (const service of ['redis', 'postgres', 'app']) expect(r.stdout).toContain(`run --name=flashsale-compose-check_${service}_1`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
