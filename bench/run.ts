import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Data, assertOwnData } from './lib/data';
import { closeHttpClient } from './lib/http';
import { log } from './lib/processes';
import { finish } from './lib/ratios';
import { loadAverage, machineFacts, problems, report, writeJson } from './lib/report';
import { runAll } from './lib/runner';
import { S } from './lib/settings';
import type { LoadScenario, TaskScenario } from './lib/scenario';
import { BUY } from './scenarios/buy';
import { CEILINGS, LAST } from './scenarios/ceilings';
import { COSTS } from './scenarios/costs';
import { DRAIN } from './scenarios/drain';
import { FLEET } from './scenarios/fleet';
import { IDLE } from './scenarios/idle';
import { LOGGING } from './scenarios/logging';
import { MEMORY } from './scenarios/memory';
import { READS } from './scenarios/reads';
import { REFUSALS } from './scenarios/refusals';
import { STREAMS } from './scenarios/streams';

/*
 * `npm run bench` (scripts/bench.sh sets up and runs this). Every scenario, one file per group in
 * bench/scenarios/; the plumbing in bench/lib/; wrk's scripts in bench/wrk/. Load scenarios run in the order
 * listed here, grouped by world and by the app instance they need (lib/instances.ts). Prints the report
 * and writes bench/results/latest.json; exits 1 if any scenario is broken.
 */

const LOADS: readonly LoadScenario[] = [...CEILINGS, ...REFUSALS, ...READS, ...BUY, ...STREAMS, ...COSTS, ...LOGGING, ...LAST];
const TASKS: readonly TaskScenario[] = [DRAIN, MEMORY, IDLE, FLEET];

function checkNames(): void {
  const known = new Set([...LOADS, ...TASKS].flatMap((s) => [s.name, s.group]));
  const unknown = S.only.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`BENCH_ONLY names no scenario or group: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
}

async function main(): Promise<void> {
  const started = Date.now();
  checkNames();
  assertOwnData();
  const data = new Data();
  await data.open();
  await data.assertUnused();
  const machine: Record<string, unknown> = { ...machineFacts(), ...(await data.versions()), wrk: wrkVersion() };
  try {
    const results = await runAll(LOADS, TASKS, data);
    // Reported in the order listed above, whatever world each ran in.
    const at = (name: string) => LOADS.findIndex((s) => s.name === name);
    results.rows.sort((a, b) => at(a.name) - at(b.name));
    await data.wipe();
    machine.loadAfter = loadAverage();
    const seconds = (Date.now() - started) / 1000;
    const yardstick = finish(results.rows);
    process.stdout.write(`\n${report(results, yardstick, machine, seconds)}\n\n`);
    const file = writeJson(results, yardstick, machine, seconds);
    log(`results in ${path.relative(process.cwd(), file)}; the bench took ${seconds.toFixed(0)} s`);
    if (problems(results).length) process.exitCode = 1;
  } finally {
    await data.close();
    closeHttpClient();
  }
}

/** "wrk debian/4.1.0-3+b2" (wrk --version prints it with its usage, and exits 1). */
function wrkVersion(): string {
  const out = spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /^wrk \S+/.exec(out)?.[0] ?? 'wrk';
}

main().catch((e: Error) => {
  log(`failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
