import { startApp, stopApp } from '../lib/app';
import { call } from '../lib/http';
import { WORLD_ENV } from '../lib/instances';
import { freePort, log, sleep } from '../lib/processes';
import { createSale } from '../lib/sales';
import { MiB, rssBytes } from '../lib/sampling';
import { S } from '../lib/settings';
import type { TaskResult, TaskScenario } from '../lib/scenario';
import type { Data } from '../lib/data';
import type { App } from '../lib/app';
import { closeStreams, openStreams } from './streams';

/*
 * The app's memory (RSS from /proc, and the V8 heap in use from its /metrics) in three states, on an instance
 * with no recurring sales: idle (no sale), with one sale of S.saleItems items loaded (created through the
 * admin API, open now), and with S.streams GET /sales/:id/events streams open on it. Each is read after a
 * few seconds of quiet.
 */

const QUIET_MS = 5_000;

interface Reading {
  readonly state: string;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

async function read(app: App, state: string): Promise<Reading> {
  await sleep(QUIET_MS);
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
  return { readings: out, problems };
}

async function run(_data: Data): Promise<TaskResult> {
  const app = await startApp('app-memory', WORLD_ENV.memory, await freePort());
  try {
    const { readings: r, problems } = await readings(app);
    const section = [
      '| Memory of node dist/main.js | RSS MiB | V8 heap used MiB |',
      '|---|---:|---:|',
      ...r.map((x) => `| ${x.state} | ${x.rssMiB.toFixed(0)} | ${x.heapUsedMiB.toFixed(0)} |`),
    ];
    return { name: 'memory', section, json: r, problems };
  } finally {
    await stopApp(app);
  }
}

export const MEMORY: TaskScenario = { name: 'memory', group: 'memory', world: 'memory', run };
