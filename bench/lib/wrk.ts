import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { ROOT, countLines, fileSize, guard, log } from './processes';
import { QUANTILE_GRID, mergeRuns } from './merge';
import { cpuSnapshot } from './sampling';
import { S, SLICES, SLICE_WARMUP_SECONDS } from './settings';

/*
 * One wrk run against 127.0.0.1, with the CPU the app and Redis used meanwhile. The scripts in bench/wrk/
 * check every response against what the scenario expects (status, and a piece of the body) and print one
 * JSON line from done(): exact percentiles, status counts, unexpected answers (with a few samples) and
 * wrk's own CPU time.
 */

const WRK_DIR = path.join(ROOT, 'bench', 'wrk');

export interface WrkLoad {
  /** bench/wrk/<script>.lua */
  readonly script: 'static' | 'checkout' | 'purchase' | 'pairs' | 'limited';
  /** The request's path (static.lua sends only this; the others build their own requests). */
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  /** WRK_* variables for the script: files of item ids, codes or tokens. */
  readonly vars?: Record<string, string>;
  /** Every response must have this status and contain `body` (a plain substring); pairs.lua and limited.lua have their own rules. */
  readonly expect: { readonly status: number; readonly body?: string };
}

/** The server measured: its port, the process whose CPU is counted, and its log (lines per response). */
export interface Target {
  readonly port: number;
  readonly pid: number;
  readonly logFile?: string;
}

/** What done() in bench/wrk/common.lua prints. */
interface WrkReport {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Latency at QUANTILE_GRID's percentiles, comma-separated. */
  quantiles_us: string;
  statuses: Record<string, number>;
  unexpected: number;
  samples: string;
  counters: Record<string, number>;
  cpu_s: number;
}

export interface Measurement {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Latency (ms) at QUANTILE_GRID's percentiles: what lets runs be merged (mergeRuns). */
  readonly quantilesMs: readonly number[];
  readonly statuses: Record<string, number>;
  /** Responses that were not what the scenario expects, and wrk's socket errors (connect, read, write, timeout). */
  readonly unexpected: number;
  readonly socketErrors: number;
  readonly samples: string[];
  /** Script counters, e.g. `pairs` (purchases that bought) in pairs.lua. */
  readonly counters: Record<string, number>;
  /** CPU during the run in % of one core; "rest" is everything else on the machine (PostgreSQL, other work). */
  readonly cpuPercent: { readonly app: number; readonly redis: number; readonly wrk: number; readonly rest: number };
  readonly cpuMicrosPerRequest: { readonly app: number; readonly redis: number; readonly wrk: number };
  /** Lines the app wrote to its log per response (NaN without a log file). */
  readonly logLinesPerResponse: number;
}

let runs = 0;

function wrkArgs(load: WrkLoad, target: Target, seconds: number): string[] {
  const script = path.join(WRK_DIR, `${load.script}.lua`);
  return [
    `-t${S.threads}`,
    `-c${S.connections}`,
    `-d${seconds}s`,
    '--timeout',
    '2s',
    '-s',
    script,
    `http://127.0.0.1:${target.port}${load.path}`,
  ];
}

function wrkEnv(load: WrkLoad): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRK_LIB: path.join(WRK_DIR, 'common.lua'),
    // Unique per run: user ids built from it are new in every run.
    WRK_RUN: `r${++runs}${Date.now().toString(36)}`,
    WRK_THREADS: String(S.threads),
    WRK_METHOD: load.method ?? 'GET',
    WRK_EXPECT_STATUS: String(load.expect.status),
    WRK_EXPECT_BODY: load.expect.body ?? '',
    ...load.vars,
  };
}

function spawnWrk(args: string[], env: NodeJS.ProcessEnv): Promise<WrkReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    guard(proc);
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@bench '));
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')} exited with ${code}:\n${out}\n${err}`));
      resolve(JSON.parse(line.slice('@@bench '.length)) as WrkReport);
    });
  });
}

/** One wrk run of `seconds`, with the app's and Redis's CPU read just before and just after. */
export async function runWrk(load: WrkLoad, target: Target, seconds: number, redis: Redis): Promise<Measurement> {
  const logBefore = target.logFile ? fileSize(target.logFile) : NaN;
  const before = await cpuSnapshot(target.pid, redis);
  const r = await spawnWrk(wrkArgs(load, target, seconds), wrkEnv(load));
  const after = await cpuSnapshot(target.pid, redis);
  const wall = (after.at - before.at) / 1000;
  const used = { app: after.app - before.app, redis: after.redis - before.redis, wrk: r.cpu_s };
  const rest = after.machine - before.machine - used.app - used.redis - used.wrk;
  const perRequest = (s: number) => (1e6 * s) / r.requests;
  const percent = (s: number) => (100 * s) / wall;
  const ms = (us: number) => us / 1000;
  const quantilesMs = r.quantiles_us.split(',').map((q) => ms(Number(q)));
  if (quantilesMs.length !== QUANTILE_GRID.length)
    throw new Error(`wrk reported ${quantilesMs.length} percentiles, not ${QUANTILE_GRID.length}`);
  const logLines = target.logFile ? countLines(target.logFile, logBefore, fileSize(target.logFile)) : NaN;
  const e = r.errors;
  return {
    requests: r.requests,
    seconds: r.duration_us / 1e6,
    requestsPerSecond: r.requests / (r.duration_us / 1e6),
    latencyMs: {
      p50: ms(r.latency_us.p50),
      p90: ms(r.latency_us.p90),
      p99: ms(r.latency_us.p99),
      max: ms(r.latency_us.max),
      mean: ms(r.latency_us.mean),
    },
    quantilesMs,
    statuses: r.statuses,
    unexpected: r.unexpected,
    socketErrors: e.connect + e.read + e.write + e.timeout,
    samples: r.samples ? r.samples.split('\n') : [],
    counters: r.counters,
    cpuPercent: { app: percent(used.app), redis: percent(used.redis), wrk: percent(used.wrk), rest: percent(rest) },
    cpuMicrosPerRequest: { app: perRequest(used.app), redis: perRequest(used.redis), wrk: perRequest(used.wrk) },
    logLinesPerResponse: logLines / r.requests,
  };
}

const unexpectedIn = (m: Measurement) => m.unexpected + m.socketErrors;

/** Where the bare route is, for the runs that flank a scenario's slices. */
export interface Yardstick {
  readonly load: WrkLoad;
  readonly target: Target;
  readonly seconds: number;
  /** Runs before each bare run: waits for what the scenario left to write (attempts, orders). */
  readonly quiet: () => Promise<void>;
}

/**
 * A short warm-up (JIT, connections, script cache), thrown away but for its unexpected answers, then the run.
 * With a yardstick the run is cut into `S.slices` slices, each between two short runs of the bare route
 * (bare, slice, bare, slice, ..., bare; each slice and each bare run after a warm-up of its own): the
 * machine's speed moves within seconds here, and each slice is compared with the bare route's runs on either
 * side of it. The slices are merged into one measurement.
 */
export async function measure(
  label: string,
  load: WrkLoad,
  target: Target,
  redis: Redis,
  yardstick: Yardstick | null = null,
): Promise<{ run: Measurement; warmupUnexpected: number; slices?: Measurement[]; bare?: Measurement[] }> {
  const slices = yardstick ? SLICES : 1;
  log(`${label}: ${S.warmup} s warm-up, then ${S.duration} s${yardstick ? ` in ${slices} slices between runs of the bare route` : ''}`);
  let warmupUnexpected = 0;
  const warmUp = async (what: WrkLoad, on: Target, seconds: number) => {
    if (seconds <= 0) return;
    const w = await runWrk(what, on, seconds, redis);
    warmupUnexpected += unexpectedIn(w);
    if (unexpectedIn(w)) log(`${label}: ${unexpectedIn(w)} unexpected answers in a warm-up, e.g. ${w.samples[0] ?? '(socket errors)'}`);
  };
  await warmUp(load, target, S.warmup);
  if (!yardstick) return { run: await runWrk(load, target, S.duration, redis), warmupUnexpected };
  const bareRun = async () => {
    await yardstick.quiet();
    await warmUp(yardstick.load, yardstick.target, SLICE_WARMUP_SECONDS);
    return runWrk(yardstick.load, yardstick.target, yardstick.seconds, redis);
  };
  const bare = [await bareRun()];
  const runs: Measurement[] = [];
  for (let i = 0; i < slices; i++) {
    // The app and the bare route each come back from idling, through new connections: a second of each is thrown
    // away first, or every slice's start would count in the p99 and the ratio.
    await warmUp(load, target, SLICE_WARMUP_SECONDS);
    // Whole seconds (wrk's -d), as even as they go: 10 s in 4 slices is 3 + 3 + 2 + 2.
    runs.push(await runWrk(load, target, Math.floor(S.duration / slices) + (i < S.duration % slices ? 1 : 0), redis));
    bare.push(await bareRun());
  }
  return { run: mergeRuns(runs), warmupUnexpected, slices: runs, bare };
}
