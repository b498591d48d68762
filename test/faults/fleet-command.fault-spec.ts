import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { pgClient, scratchDatabase, stopFaultDependencies, timedRequest, waitFor } from '../support/faults';
import { ROOT, buildDist } from '../support/processes';

/*
 * `npm run fleet` as a user runs it: the command in a process group of its own (as a terminal runs it), its
 * banner, a purchase through HAProxy that lands in PostgreSQL, the admin CLI line it prints, the Redis
 * settings it promises, then Ctrl-C (SIGINT to the group): it exits 0 and leaves no process behind.
 * Free ports (--any-ports) and a scratch database, so it never meets another fleet or the suite's data.
 */

jest.setTimeout(300_000);

const run = promisify(execFile);

let fleet: ChildProcess;
let output = '';
let fleetDir: string;
let databaseUrl: string;
let pg: Client;
/** Every process the command started, seen while it ran. */
const seen = new Map<number, string>();
/** Those running once it said it was up (not the short-lived ones set-up starts, such as `redis-server --version`). */
let runningWhenUp = new Map<number, string>();
const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });

/** The processes below `pid`, from /proc (pid → command line). */
function descendants(pid: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found = new Map<number, string>();
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) {
      try {
        found.set(c, readFileSync(`/proc/${c}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
      } catch {
        continue;
      }
      visit(c);
    }
  };
  visit(pid);
  return found;
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** When the command and everything holding its output have finished. */
let closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
beforeAll(async () => {
  buildDist();
  databaseUrl = await scratchDatabase();
  pg = await pgClient(databaseUrl);
  fleetDir = mkdtempSync(path.join(os.tmpdir(), 'flashsale-fleet-cmd-'));
  fleet = spawn('npm', ['run', 'fleet', '--', '--any-ports'], {
    cwd: ROOT,
    // Its own process group, like a command typed at a terminal: Ctrl-C is SIGINT to that group.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FLEET_DATABASE_URL: databaseUrl,
      FLEET_DIR: fleetDir,
      // Built by buildDist() above; the rest of the set-up runs as it would for a user.
      SKIP_BUILD: '1',
      AUTH_MODE: 'trusted',
      LOG_LEVEL: 'warn',
    },
  });
  closed = new Promise((resolve) => fleet.once('close', (code, signal) => resolve({ code, signal })));
  fleet.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  fleet.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const up = await waitFor(
    async () => {
      for (const [pid, cmd] of descendants(fleet.pid!)) seen.set(pid, cmd);
      return /Ctrl-C stops everything/.test(output);
    },
    (ok) => ok === true || fleet.exitCode !== null,
    240_000,
    200,
  );
  if (up.value !== true) throw new Error(`npm run fleet did not come up (exit ${fleet.exitCode}):\n${output}`);
  runningWhenUp = descendants(fleet.pid!);
  for (const [pid, cmd] of runningWhenUp) seen.set(pid, cmd);
}, 300_000);

afterAll(async () => {
  // Only if a test failed before Ctrl-C: nothing may outlive the file.
  if (fleet && fleet.exitCode === null && fleet.signalCode === null) {
    for (const pid of descendants(fleet.pid!).keys()) seen.set(pid, '');
    try {
      process.kill(-fleet.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of seen.keys()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  agent.destroy();
  await pg?.end().catch(() => undefined);
  await stopFaultDependencies();
  if (fleetDir) rmSync(fleetDir, { recursive: true, force: true });
});

const banner = (label: string) => new RegExp(`^\\s+${label}\\s+(.+)$`, 'm').exec(output)?.[1] ?? '';
const proxyUrl = () => /Flashsale fleet is up: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;

it('prints where everything is: HAProxy, three instances, the worker, six Redis nodes, PostgreSQL, logs', () => {
  expect(proxyUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  for (const api of ['api1', 'api2', 'api3']) expect(banner(api)).toMatch(/^http:\/\/127\.0\.0\.1:\d+ \(WORKER_ENABLED=false\)/);
  expect(banner('worker')).toContain('node dist/worker.js');
  expect(banner('Redis Cluster').split(' on ')[0]!.split(', ')).toHaveLength(6);
  expect(banner('PostgreSQL')).toContain(new URL(databaseUrl).pathname);
  expect(banner('logs')).toContain(fleetDir);
  const commands = [...runningWhenUp.values()];
  expect(commands.filter((c) => c.includes('dist/main.js'))).toHaveLength(3);
  expect(commands.filter((c) => c.includes('dist/worker.js'))).toHaveLength(1);
  expect(commands.filter((c) => c.startsWith('redis-server'))).toHaveLength(6);
  expect(commands.filter((c) => c.startsWith('haproxy'))).toHaveLength(1);
});

it('sells through HAProxy at once: the live sale, checkouts spread over the instances, the order in PostgreSQL', async () => {
  const base = proxyUrl();
  const active = await timedRequest(agent, 'GET', `${base}/sales/active`);
  expect(active.status).toBe(200);
  const saleId: number = active.body.id;
  const page = await timedRequest(agent, 'GET', `${base}/sales/${saleId}/items?limit=6`);
  const items: number[] = page.body.items.map((i: { id: number }) => i.id);
  const servedBy = new Set<string>();
  let code = '';
  for (const [i, item] of items.entries()) {
    const r = await timedRequest(agent, 'POST', `${base}/checkout?user_id=fleet-buyer-${i}&id=${item}`);
    expect(r.status).toBe(200);
    servedBy.add(String(r.headers!['x-served-by']));
    code = r.body.code;
  }
  expect([...servedBy].sort()).toEqual(['api1', 'api2', 'api3']);
  const bought = await timedRequest(agent, 'POST', `${base}/purchase?code=${encodeURIComponent(code)}`);
  expect(bought.status).toBe(200);
  expect(bought.body.purchased).toEqual([items[items.length - 1]]);
  const order = await waitFor(
    () => pg.query('SELECT o.id, array_agg(oi.item_id) AS items FROM orders o JOIN order_items oi ON oi.order_id = o.id GROUP BY o.id'),
    (r) => r.rows.length === 1,
    30_000,
  );
  expect(order.value.rows).toEqual([{ id: bought.body.orderId, items: [items[items.length - 1]] }]);
});

it('runs every Redis node as it says: AOF, no eviction, min-replicas-to-write 1', async () => {
  const ports = banner('Redis Cluster').split(' on ')[0]!.split(', ').map(Number);
  for (const port of ports) {
    const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      const config = Object.fromEntries(
        (await Promise.all(['appendonly', 'appendfsync', 'maxmemory-policy', 'min-replicas-to-write'].map((k) => c.config('GET', k)))).map(
          (pair) => pair as [string, string],
        ),
      );
      expect(config).toEqual({
        appendonly: 'yes',
        appendfsync: 'everysec',
        'maxmemory-policy': 'noeviction',
        'min-replicas-to-write': '1',
      });
    } finally {
      c.disconnect();
    }
  }
});

it('prints an admin CLI command that works against the fleet', async () => {
  const line = /Admin CLI against the fleet:\n\s+(.+)$/m.exec(output)![1]!;
  expect(line).toMatch(/^REDIS_URL= REDIS_CLUSTER_NODES=\S+ DATABASE_URL=\S+ npm run cli -- sale:list$/);
  const { stdout } = await run('bash', ['-c', `${line} --json`], { cwd: ROOT, timeout: 120_000 });
  // After npm's own two lines ("> flashsale@... cli").
  const sales = JSON.parse(stdout.slice(stdout.indexOf('['))) as { status: string }[];
  expect(sales.map((s) => s.status)).toContain('active');
});

it('stops everything on Ctrl-C: the runner says so, no process is left, the ports closed', async () => {
  const before = descendants(fleet.pid!);
  for (const [pid, cmd] of before) seen.set(pid, cmd);
  expect(before.size).toBeGreaterThanOrEqual(12);
  process.kill(-fleet.pid!, 'SIGINT');
  const exit = await Promise.race([closed, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000).unref())]);
  expect(exit).not.toBe('hung');
  // npm itself ends by the SIGINT it was sent (as at a terminal) once the runner has stopped the fleet and exited.
  expect(exit === 'hung' || exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
  expect(output).toMatch(/SIGINT: stopping the fleet[\s\S]*\[fleet\].* stopped/);
  // The runner reaped its children before it exited; give the kernel a moment to drop the last of them.
  const left = await waitFor(
    async () => [...seen.entries()].filter(([pid]) => alive(pid)).map(([pid, cmd]) => `${pid} ${cmd}`),
    (l) => l.length === 0,
    5_000,
  );
  expect(left.value).toEqual([]);
  const answer = await timedRequest(new http.Agent(), 'GET', `${proxyUrl()}/health/live`, 2_000);
  expect(answer.error).toBe('ECONNREFUSED');
});
