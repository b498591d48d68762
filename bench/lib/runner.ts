import { settle } from './app';
import { BARE_AROUND, BARE_LOAD, WORLD_ORDER } from './instances';
import { freePort, log, stopChild } from './processes';
import { S, SLICES, selected } from './settings';
import { type Yardstick, measure, runWrk } from './wrk';
import { World } from './scenario';
import type { Ctx, Instance, LoadScenario, Row, Server, TaskResult, TaskScenario, WorldName } from './scenario';
import type { Data } from './data';

/*
 * Runs the selected scenarios world by world (lib/instances.ts: WORLD_ORDER): wipe the data, run the
 * world's tasks, then start each instance its load scenarios name (in the order they are listed), run them
 * on it, and stop it. A scenario that fails is reported as a problem row and the next one runs.
 *
 * Each scenario's run is cut into slices between short runs of a bare route that lives through the whole
 * bench (BARE_AROUND; lib/wrk.ts: measure): on this shared machine the bare route's req/s moved by a third
 * from one 3 s run to the next, so a ratio against runs minutes away measured the machine as much as the code.
 */

export interface Results {
  readonly rows: Row[];
  readonly tasks: TaskResult[];
}

/** CPU % of one core that the rest of the machine may use during a run before the row says so. */
const BUSY_PERCENT = 25;

function emptyRow(s: LoadScenario): Omit<Row, 'run' | 'warmupUnexpected'> {
  return {
    name: s.name,
    group: s.group,
    label: s.label,
    server: s.on.name,
    settings: s.on.settings,
    target: s.target,
    cost: s.cost,
    notes: [],
    problems: [],
  };
}

/** What a run's answers say about it: every unexpected answer or socket error makes the row broken. */
function checkRun(row: Row): void {
  const r = row.run!;
  if (r.unexpected || r.socketErrors) {
    const codes = Object.entries(r.statuses)
      .map(([c, n]) => `${c} × ${n}`)
      .join(', ');
    row.problems.push(
      `${r.unexpected} unexpected answers and ${r.socketErrors} socket errors of ${r.requests} (statuses: ${codes})` +
        (r.samples.length ? `; e.g. ${r.samples.slice(0, 2).join(' | ')}` : ''),
    );
  }
  for (const b of row.bareAround ?? [])
    if (b.unexpected || b.socketErrors)
      row.problems.push(`the bare route's run next to it got ${b.unexpected + b.socketErrors} unexpected answers`);
  if (row.warmupUnexpected) row.notes.push(`${row.warmupUnexpected} unexpected answers in the warm-up`);
  // PostgreSQL takes a little; more is other people's work on a shared machine, which req/s feels and CPU µs/req hardly does.
  if (r.cpuPercent.rest > BUSY_PERCENT) row.notes.push(`the rest of the machine used ${r.cpuPercent.rest.toFixed(0)}% of a core meanwhile`);
}

async function runLoad(s: LoadScenario, ctx: Ctx): Promise<Row> {
  try {
    const load = await s.load(ctx);
    await settle(ctx.data, ctx.server, [...ctx.world.saleIds]);
    const target = { port: ctx.server.port, pid: ctx.server.pid, logFile: ctx.server.child.logFile };
    const once = async (): Promise<Row> => {
      const y = ctx.yardstick && !s.always ? yardstickFor(ctx) : null;
      const { run, warmupUnexpected, slices, bare } = await measure(s.label, load, target, ctx.data.redis, y);
      const row: Row = { ...emptyRow(s), run, warmupUnexpected, slices, bareAround: bare };
      checkRun(row);
      return row;
    };
    return await (s.around ? s.around(ctx, once) : once());
  } catch (e) {
    log(`${s.name} failed: ${(e as Error).stack ?? e}`);
    return { ...emptyRow(s), warmupUnexpected: 0, problems: [`failed: ${(e as Error).message}`] };
  }
}

/** The bare route that flanks a scenario's slices; before each of its runs, what the scenario left to write
 *  (attempts, orders) is written, so the bare route is not measured against the app's catching up. */
function yardstickFor(ctx: Ctx): Yardstick {
  const y = ctx.yardstick!;
  return {
    load: BARE_LOAD,
    target: { port: y.port, pid: y.pid },
    seconds: S.bareSlice,
    quiet: () => settle(ctx.data, ctx.server, [...ctx.world.saleIds]),
  };
}

async function onInstance(
  instance: Instance,
  scenarios: LoadScenario[],
  data: Data,
  world: World,
  yardstick: Server | null,
): Promise<Row[]> {
  let server: Server;
  try {
    server = await instance.start(await freePort());
  } catch (e) {
    log(`${instance.name} did not start: ${(e as Error).message}`);
    return scenarios.map((s) => ({
      ...emptyRow(s),
      warmupUnexpected: 0,
      problems: [`${instance.name} did not start: ${(e as Error).message}`],
    }));
  }
  const rows: Row[] = [];
  try {
    for (const s of scenarios) rows.push(await runLoad(s, { data, world, server, yardstick }));
  } finally {
    // Let this instance drain its own backlog (attempts, outbox) while it still runs: the next server may drain
    // nothing (the bare route's last run waited its full two minutes for a stream no one was reading).
    await settle(data, server, [...world.saleIds]).catch((e: Error) => log(`${instance.name}: ${e.message}`));
    await stopChild(server.child);
  }
  return rows;
}

async function runWorld(
  name: WorldName,
  loads: LoadScenario[],
  tasks: TaskScenario[],
  data: Data,
  yardstick: Server | null,
): Promise<Results> {
  const world = new World(name);
  if (name !== 'ceilings' && name !== 'ceilings-last') {
    log(`world "${name}": wiping the bench's data`);
    await data.wipe();
  }
  const results: Results = { rows: [], tasks: [] };
  for (const t of tasks) results.tasks.push(await t.run(data, world));
  const instances = [...new Set(loads.map((s) => s.on))];
  for (const instance of instances) {
    results.rows.push(
      ...(await onInstance(
        instance,
        loads.filter((s) => s.on === instance),
        data,
        world,
        yardstick,
      )),
    );
  }
  return results;
}

export async function runAll(loads: readonly LoadScenario[], tasks: readonly TaskScenario[], data: Data): Promise<Results> {
  const chosen = loads.filter((s) => s.always || selected(s.name, s.group));
  const chosenTasks = tasks.filter((t) => (t.optIn ? S.only.includes(t.name) || S.only.includes(t.group) : selected(t.name, t.group)));
  const all: Results = { rows: [], tasks: [] };
  const yardstick = S.bareSlice > 0 && SLICES > 0 && chosen.some((s) => !s.always) ? await startYardstick(data) : null;
  try {
    for (const name of WORLD_ORDER) {
      const l = chosen.filter((s) => s.on.world === name);
      const t = chosenTasks.filter((x) => x.world === name);
      if (!l.length && !t.length) continue;
      const r = await runWorld(name, l, t, data, yardstick);
      all.rows.push(...r.rows);
      all.tasks.push(...r.tasks);
    }
  } finally {
    if (yardstick) await stopChild(yardstick.child);
  }
  return all;
}

/** Starts the bare route that flanks every scenario, and warms it up once; null (no slices) if it cannot start. */
async function startYardstick(data: Data): Promise<Server | null> {
  try {
    const server = await BARE_AROUND.start(await freePort());
    if (S.warmup > 0) await runWrk(BARE_LOAD, { port: server.port, pid: server.pid }, S.warmup, data.redis);
    return server;
  } catch (e) {
    log(`${BARE_AROUND.name} did not start (${(e as Error).message}): every ratio is against the bare route's first and last runs`);
    return null;
  }
}
