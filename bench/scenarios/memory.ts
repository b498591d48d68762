import { startApp, stopApp } from '../lib/app';
import { call } from '../lib/http';
import { WORLD_ENV } from '../lib/instances';
import { Redis } from 'ioredis';
import type { StreamCounts } from '../children/event-streams';
import { ask, freePort, log, sleep, waitFor } from '../lib/processes';
import { createSale } from '../lib/sales';
import { MiB, rssBytes } from '../lib/sampling';
import { REDIS_URL, S } from '../lib/settings';
import type { TaskResult, TaskScenario } from '../lib/scenario';
import type { Data } from '../lib/data';
import type { App } from '../lib/app';
import { closeStreams, openStreams } from './streams';

/*
 * The app's memory (RSS from /proc, and the V8 heap in use from its /metrics) in three states, on an instance
 * with no recurring sales: idle (no sale), with one sale of S.saleItems items loaded (created through the
 * admin API, open now), and with S.streams GET /sales/:id/events streams open on it. Each is read after a
 * few seconds of quiet and a full garbage collection.
 */

const QUIET_MS = 5_000;

interface Reading {
  readonly state: string;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

async function read(app: App, state: string): Promise<Reading> {
  await sleep(QUIET_MS);
  // A full GC first (bench/children/gc-on-signal.js), then a moment for V8 to hand pages back: without it
  // RSS once fell between two readings that added memory (2026-12-04: 217 then 187 MiB).
  process.kill(app.pid, 'SIGUSR2');
  await sleep(1_000);
  const metrics = (await call(app.port, 'GET', '/metrics')).body;
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
  const r = { state, rssMiB: rssBytes(app.pid) / MiB, heapUsedMiB: heap / MiB };
  log(`memory, ${state}: RSS ${r.rssMiB.toFixed(0)} MiB, heap used ${r.heapUsedMiB.toFixed(0)} MiB`);
  return r;
}

async function readings(app: App): Promise<{ readings: Reading[]; problems: string[] }> {
  const out = [await read(app, 'idle (no sale)')];
  const now = Date.now();
  const spec = { startsAt: new Date(now), endsAt: new Date(now + 3_600_000), items: S.saleItems, saleCap: 100_000_000, perUserLimit: 10 };
  const sale = await createSale(app.port, { ...spec, unitsPerItem: S.unitsPerItem });
  out.push(await read(app, `with a ${S.saleItems.toLocaleString('en-US')}-item sale loaded`));
  const { client, opened } = await openStreams(app, sale.id);
  out.push(await read(app, `with ${S.streams.toLocaleString('en-US')} open event streams on it`));
  const { left } = await closeStreams(app, client);
  const problems = [];
  if (opened.withSnapshot !== S.streams) problems.push(`memory: ${opened.withSnapshot} of ${S.streams} streams opened`);
  if (left !== 0) problems.push(`memory: the app still counted ${left} streams after they closed`);
  problems.push(...(await waitingBuyers(app, now, out)));
  return { readings: out, problems };
}

/**
 * S.streams buyers in the line of a sale that starts in an hour (the waiting room is on in this world), each
 * with its page's event stream open as that buyer: read once every stream has had its place (a `line`
 * event). The per-buyer cost is against the plain streams' reading; Redis's share is MEMORY USAGE of the
 * line's keys.
 */
async function waitingBuyers(app: App, now: number, out: Reading[]): Promise<string[]> {
  const spec = { startsAt: new Date(now + 3_900_000), endsAt: new Date(now + 7_500_000), items: 100, saleCap: 100, perUserLimit: 1 };
  const sale = await createSale(app.port, { ...spec, unitsPerItem: 1 });
  log(`memory: ${S.streams} buyers join the line of sale ${sale.id}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < S.streams) {
        const i = next++;
        const r = await call(app.port, 'POST', `/sales/${sale.id}/line?user_id=w${i}`);
        if (r.status !== 200) throw new Error(`joining the line: ${r.status} ${r.body.slice(0, 200)}`);
      }
    }),
  );
  const { client, opened } = await openStreams(app, sale.id, 'w');
  const problems: string[] = [];
  try {
    const placed = await waitFor(
      'every waiting page to get its place',
      async () => {
        const c = await ask<StreamCounts>(client, { cmd: 'count' }, 'count', 10_000);
        return c.lineMin >= 1 ? c : undefined;
      },
      30_000,
    ).catch(() => ask<StreamCounts>(client, { cmd: 'count' }, 'count', 10_000));
    if (placed.lineMin < 1) problems.push(`memory: some waiting page got no line event (${placed.line} over ${S.streams} pages)`);
    const reading = await read(app, `with ${S.streams.toLocaleString('en-US')} waiting buyers' event streams (waiting room)`);
    const redisBytes = await lineKeysBytes(app, sale.id);
    const plain = out[out.length - 1]!;
    out.push(reading);
    const perBuyerKiB = ((reading.rssMiB - out[1]!.rssMiB) * 1024) / S.streams;
    const extraKiB = ((reading.rssMiB - plain.rssMiB) * 1024) / S.streams;
    out.push({
      state: `per waiting buyer: app RSS ${perBuyerKiB.toFixed(1)} KiB (${extraKiB.toFixed(1)} KiB more than a plain stream), Redis ${(redisBytes / S.streams).toFixed(0)} B`,
      rssMiB: NaN,
      heapUsedMiB: NaN,
    });
    log(`memory: ${out[out.length - 1]!.state}`);
    if (opened.withSnapshot !== S.streams) problems.push(`memory: ${opened.withSnapshot} of ${S.streams} waiting pages opened`);
  } finally {
    await closeStreams(app, client);
  }
  return problems;
}

/** Bytes Redis holds for a sale's line (MEMORY USAGE of each of its keys). */
async function lineKeysBytes(_app: App, saleId: number): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    const keys = ['line', 'line:seen', 'line:joined', 'line:state'].map((k) => `{sale:${saleId}}:${k}`);
    const sizes = await Promise.all(keys.map((k) => redis.memory('USAGE', k, 'SAMPLES', '0')));
    return sizes.reduce<number>((a, b) => a + Number(b ?? 0), 0);
  } finally {
    redis.disconnect();
  }
}

async function run(_data: Data): Promise<TaskResult> {
  const app = await startApp('app-memory', WORLD_ENV.memory, await freePort(), ['--expose-gc', '-r', './bench/children/gc-on-signal.js']);
  try {
    const { readings: r, problems } = await readings(app);
    const section = [
      '| Memory of node dist/main.js | RSS MiB | V8 heap used MiB |',
      '|---|---:|---:|',
      ...r.map((x) =>
        Number.isNaN(x.rssMiB) ? `| ${x.state} | | |` : `| ${x.state} | ${x.rssMiB.toFixed(0)} | ${x.heapUsedMiB.toFixed(0)} |`,
      ),
    ];
    return { name: 'memory', section, json: r, problems };
  } finally {
    await stopApp(app);
  }
}

export const MEMORY: TaskScenario = { name: 'memory', group: 'memory', world: 'memory', run };
