import { Redis } from 'ioredis';
import { startApp, stopApp } from '../lib/app';
import type { App } from '../lib/app';
import type { Data } from '../lib/data';
import { WORLD_ENV } from '../lib/instances';
import { freePort, log, sleep } from '../lib/processes';
import { createSale } from '../lib/sales';
import { cpuSeconds, redisCpuSeconds } from '../lib/sampling';
import { REDIS_URL } from '../lib/settings';
import type { TaskResult, TaskScenario } from '../lib/scenario';

/*
 * What an instance costs while no request comes: its own CPU, Redis's CPU and the Redis calls a second
 * (INFO's total_commands_processed: a script call counts once and once more for each command it runs),
 * over MEASURE_MS, first with no sale, then with the sales of a day of hourly sales (the default): 24 that
 * ended within the retention period, the open one and the next (the scheduler makes each an hour ahead). The background loops (outbox relay, attempts writer,
 * sale calendar, event hub) run all the time, so this is the floor under every request. Nothing else uses
 * Redis meanwhile (this world runs alone), so its call count is this instance's.
 */

const MEASURE_MS = 10_000;
const ENDED = 24;
/** Operator sales may not overlap: ENDED short ones one after another, each SHORT_MS long. */
const SHORT_MS = 150;
/** After the last end: the readers pass over a sale read empty 10 s after it ended (QuietSales). */
const AFTER_END_MS = 15_000;

interface Reading {
  readonly state: string;
  readonly appCpuPct: number;
  readonly redisCpuPct: number;
  readonly redisCallsPerSecond: number;
}

async function calls(redis: Redis): Promise<number> {
  return Number(/^total_commands_processed:(\d+)/m.exec(await redis.info('stats'))?.[1] ?? NaN);
}

async function measure(app: App, redis: Redis, state: string): Promise<Reading> {
  const before = { at: Date.now(), app: cpuSeconds(app.pid), redis: await redisCpuSeconds(redis), calls: await calls(redis) };
  await sleep(MEASURE_MS);
  const after = { at: Date.now(), app: cpuSeconds(app.pid), redis: await redisCpuSeconds(redis), calls: await calls(redis) };
  const s = (after.at - before.at) / 1000;
  // Two of the INFO calls are counted between the two readings: before's INFO stats and after's INFO cpu.
  const r = {
    state,
    appCpuPct: ((after.app - before.app) / s) * 100,
    redisCpuPct: ((after.redis - before.redis) / s) * 100,
    redisCallsPerSecond: (after.calls - before.calls - 2) / s,
  };
  log(
    `idle, ${state}: app ${r.appCpuPct.toFixed(1)}% of a core, Redis ${r.redisCpuPct.toFixed(1)}%, ${r.redisCallsPerSecond.toFixed(0)} Redis calls/s`,
  );
  return r;
}

async function run(_data: Data): Promise<TaskResult> {
  const app = await startApp('app-idle', WORLD_ENV.idle, await freePort());
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    await sleep(5_000);
    const none = await measure(app, redis, 'no sale');
    const t0 = Date.now() + 1_000;
    for (let i = 0; i < ENDED; i++) {
      const startsAt = new Date(t0 + i * (SHORT_MS + 50));
      await createSale(app.port, {
        startsAt,
        endsAt: new Date(startsAt.getTime() + SHORT_MS),
        items: 10,
        saleCap: 10,
        perUserLimit: 1,
        unitsPerItem: 1,
      });
    }
    const lastEnd = t0 + ENDED * (SHORT_MS + 50);
    const open = {
      startsAt: new Date(lastEnd),
      endsAt: new Date(lastEnd + 3_600_000),
      items: 10_000,
      saleCap: 10_000,
      perUserLimit: 10,
      unitsPerItem: 1,
    };
    await createSale(app.port, open);
    await createSale(app.port, { ...open, startsAt: open.endsAt, endsAt: new Date(open.endsAt.getTime() + 3_600_000) });
    await sleep(lastEnd + AFTER_END_MS - Date.now());
    const day = await measure(app, redis, `an open sale, the next one and the ${ENDED} that ended before them`);
    const readings = [none, day];
    const section = [
      '| An instance with no requests | App CPU % of a core | Redis CPU % of a core | Redis calls/s |',
      '|---|---:|---:|---:|',
      ...readings.map(
        (x) => `| ${x.state} | ${x.appCpuPct.toFixed(1)} | ${x.redisCpuPct.toFixed(1)} | ${x.redisCallsPerSecond.toFixed(0)} |`,
      ),
    ];
    return { name: 'idle', section, json: readings, problems: [] };
  } finally {
    redis.disconnect();
    await stopApp(app);
  }
}

export const IDLE: TaskScenario = { name: 'idle', group: 'idle', world: 'idle', run };
