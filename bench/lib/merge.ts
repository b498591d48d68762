import type { Measurement } from './wrk';

/*
 * Several wrk runs as one measurement: the slices of a scenario (lib/wrk.ts: measure). Apart from lib/wrk.ts so
 * it can be tested without the bench's process plumbing.
 */

/** The percentiles common.lua's done() reports, in order: 0.5 to 98 by 0.5, to 99.9 by 0.05, to 99.99 by 0.01, 100. */
export const QUANTILE_GRID: readonly number[] = [
  ...Array.from({ length: 196 }, (_, i) => (i + 1) * 0.5),
  ...Array.from({ length: 38 }, (_, i) => 98 + (i + 1) * 0.05),
  ...Array.from({ length: 9 }, (_, i) => 99.9 + (i + 1) * 0.01),
  100,
];

/** Several runs as one: counts added, CPU and log lines per request over all of them, latency percentiles of the
 *  merged distribution (each run's QUANTILE_GRID, weighted by its requests). */
export function mergeRuns(runs: readonly Measurement[]): Measurement {
  const sum = (f: (m: Measurement) => number) => runs.reduce((a, m) => a + f(m), 0);
  const requests = sum((m) => m.requests);
  const seconds = sum((m) => m.seconds);
  const add = (pick: (m: Measurement) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const m of runs) for (const [k, n] of Object.entries(pick(m))) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  const perRequest = (f: (m: Measurement) => number) => sum((m) => f(m) * m.requests) / requests;
  const perSecond = (f: (m: Measurement) => number) => sum((m) => f(m) * m.seconds) / seconds;
  // Each grid point of a run stands for the requests between it and the point before it.
  const points = runs
    .flatMap((m) => m.quantilesMs.map((v, j) => ({ v, mass: (m.requests * (QUANTILE_GRID[j]! - (QUANTILE_GRID[j - 1] ?? 0))) / 100 })))
    .sort((a, b) => a.v - b.v);
  const at = (p: number) => {
    let seen = 0;
    // A relative tolerance: the masses are floating-point sums, and a boundary hit exactly must count as reached.
    const want = (p / 100) * requests * (1 - 1e-9);
    for (const x of points) if ((seen += x.mass) >= want) return x.v;
    return points[points.length - 1]?.v ?? NaN;
  };
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyMs: {
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: Math.max(...runs.map((m) => m.latencyMs.max)),
      mean: perRequest((m) => m.latencyMs.mean),
    },
    quantilesMs: QUANTILE_GRID.map(at),
    statuses: add((m) => m.statuses),
    unexpected: sum((m) => m.unexpected),
    socketErrors: sum((m) => m.socketErrors),
    samples: runs.flatMap((m) => m.samples).slice(0, 5),
    counters: add((m) => m.counters),
    cpuPercent: {
      app: perSecond((m) => m.cpuPercent.app),
      redis: perSecond((m) => m.cpuPercent.redis),
      wrk: perSecond((m) => m.cpuPercent.wrk),
      rest: perSecond((m) => m.cpuPercent.rest),
    },
    cpuMicrosPerRequest: {
      app: perRequest((m) => m.cpuMicrosPerRequest.app),
      redis: perRequest((m) => m.cpuMicrosPerRequest.redis),
      wrk: perRequest((m) => m.cpuMicrosPerRequest.wrk),
    },
    logLinesPerResponse: perRequest((m) => m.logLinesPerResponse),
  };
}
