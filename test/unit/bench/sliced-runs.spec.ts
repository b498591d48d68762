import { QUANTILE_GRID, mergeRuns } from '../../../bench/lib/merge';
import { finish } from '../../../bench/lib/ratios';
import type { Row } from '../../../bench/lib/scenario';
import type { Measurement } from '../../../bench/lib/wrk';

/*
 * The bench cuts each scenario into slices between short runs of the bare route (bench/lib/wrk.ts: measure);
 * its figures are only as good as the merging of the slices and the ratio taken from them.
 */

/** A wrk run of `requests` in `seconds` whose every latency was `ms` (the grid of percentiles all at `ms`). */
function run(requests: number, seconds: number, ms: number, cpu = { app: 50, redis: 10 }): Measurement {
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyMs: { p50: ms, p90: ms, p99: ms, max: ms, mean: ms },
    quantilesMs: QUANTILE_GRID.map(() => ms),
    statuses: { '200': requests },
    unexpected: 0,
    socketErrors: 0,
    samples: [],
    counters: {},
    cpuPercent: { app: 90, redis: 10, wrk: 30, rest: 5 },
    cpuMicrosPerRequest: { ...cpu, wrk: 15 },
    logLinesPerResponse: 0.01,
  };
}

function row(name: string, slices: Measurement[], bare: Measurement[], extra: Partial<Row> = {}): Row {
  return {
    name,
    group: 'test',
    label: name,
    server: 'app',
    settings: '',
    run: mergeRuns(slices),
    slices,
    bareAround: bare,
    warmupUnexpected: 0,
    notes: [],
    problems: [],
    ...extra,
  };
}

describe('bench: merging slices', () => {
  it('adds the counts and takes CPU per request and percentiles over all the requests', () => {
    const merged = mergeRuns([run(3000, 2, 1, { app: 40, redis: 10 }), run(1000, 2, 9, { app: 80, redis: 30 })]);
    expect(merged.requests).toBe(4000);
    expect(merged.requestsPerSecond).toBe(1000);
    expect(merged.statuses).toEqual({ '200': 4000 });
    expect(merged.cpuMicrosPerRequest.app).toBeCloseTo(50);
    expect(merged.cpuMicrosPerRequest.redis).toBeCloseTo(15);
    // 75% of the requests took 1 ms, 25% took 9 ms.
    expect(merged.latencyMs.p50).toBe(1);
    expect(merged.latencyMs.p90).toBe(9);
    expect(merged.latencyMs.p99).toBe(9);
    expect(merged.latencyMs.mean).toBeCloseTo(3);
  });

  it('finds a tail that lives in one slice only', () => {
    // The slowest 1% of one slice (its grid from p99.05 on) at 50 ms: 0.5% of the merged requests, so the
    // merged p99 is 2 ms and its p99.9 (grid index 233) 50 ms.
    const slow = run(1000, 1, 2);
    const withTail = { ...slow, quantilesMs: slow.quantilesMs.map((v, i) => (i >= 216 ? 50 : v)) };
    const merged = mergeRuns([withTail, run(1000, 1, 2)]);
    expect(merged.latencyMs.p99).toBe(2);
    expect(merged.quantilesMs[233]).toBe(50);
  });

  it('gives back a single run as it was', () => {
    const one = run(987_654, 10, 1);
    const distinct = { ...one, quantilesMs: QUANTILE_GRID.map((p) => p / 10) };
    expect(mergeRuns([distinct]).quantilesMs).toEqual(distinct.quantilesMs);
    expect(mergeRuns([distinct]).latencyMs.p99).toBeCloseTo(9.9);
  });

  it('has the percentiles common.lua reports, in order, ending with the maximum', () => {
    expect(QUANTILE_GRID).toHaveLength(244);
    expect([...QUANTILE_GRID].sort((a, b) => a - b)).toEqual(QUANTILE_GRID);
    expect(QUANTILE_GRID[QUANTILE_GRID.length - 1]).toBe(100);
    expect(QUANTILE_GRID[99]).toBe(50);
    expect(QUANTILE_GRID[215]).toBeCloseTo(99);
  });
});

describe('bench: ratio to the bare route around each slice', () => {
  it('compares each slice with the bare runs on either side, so the machine slowing down mid-run cancels out', () => {
    // The machine halves its speed after the first bare run; the app keeps a quarter of the bare route's pace.
    const r = row('app', [run(30_000, 2, 3), run(20_000, 2, 3)], [run(160_000, 2, 1), run(80_000, 2, 1), run(80_000, 2, 1)]);
    finish([r]);
    // 15,000/s against (80,000 + 40,000) / 2, then 10,000/s against 40,000: a quarter each time. Against the
    // mean of all bare runs it would have read 12,500 / 53,333 = 0.23.
    expect(r.ratio).toBeCloseTo(0.25);
  });

  it('prices a cost by the two rows ratios, not by their req/s measured at different moments', () => {
    const base = row('base', [run(20_000, 2, 3)], [run(80_000, 2, 1), run(80_000, 2, 1)]);
    // Measured on a machine twice as slow: half the req/s, the same ratio minus 10%.
    const costly = row('costly', [run(9_000, 2, 3)], [run(40_000, 2, 1), run(40_000, 2, 1)], { cost: { baseline: 'base', max: 0.15 } });
    finish([base, costly]);
    expect(costly.costFraction).toBeCloseTo(0.1);
  });

  it('falls back to the mean of the bare route first and last runs for rows without slices', () => {
    const bareRow = (name: string, rps: number): Row => ({
      ...row(name, [], []),
      slices: undefined,
      bareAround: undefined,
      run: run(rps, 1, 1),
    });
    const plain = { ...row('plain', [], []), slices: undefined, bareAround: undefined, run: run(15_000, 1, 2) };
    const yardstick = finish([bareRow('bare-first', 40_000), plain, bareRow('bare-last', 20_000)]);
    expect(yardstick).toBe(30_000);
    expect(plain.ratio).toBeCloseTo(0.5);
  });
});
