import type { Row } from './scenario';

/*
 * Each row's ratio to the bare route and each cost against its baseline row (lib/report.ts prints them). Apart
 * from the report so it can be tested without the bench's process plumbing.
 */

const BARE = ['bare-first', 'bare-last'];
/** A row whose figures are wrong: not measured, or with unexpected answers or a failed check. */
export const broken = (r: Row) => !r.run || r.problems.length > 0;

/**
 * Ratios to the bare route: with slices (lib/wrk.ts: measure), the mean over a row's slices of the slice's req/s
 * ÷ the mean of the bare route's runs on either side of it; otherwise (the bare rows themselves, or
 * BENCH_SLICES=0) req/s ÷ the mean of the bare route's first and last runs. Each cost against its baseline row,
 * by those ratios and by CPU. Returns the mean of the first and last runs.
 */
export function finish(rows: Row[]): number {
  const bare = rows.filter((r) => BARE.includes(r.name) && r.run && !broken(r)).map((r) => r.run!.requestsPerSecond);
  const yardstick = mean(bare);
  for (const r of rows) if (r.run) r.ratio = slicedRatio(r) ?? r.run.requestsPerSecond / yardstick;
  for (const r of rows) {
    const base = r.cost && rows.find((b) => b.name === r.cost!.baseline);
    if (r.ratio !== undefined && base?.ratio !== undefined) {
      r.costFraction = 1 - r.ratio / base.ratio;
      r.cpuCostFraction = 1 - serviceMicros(base) / serviceMicros(r);
    }
  }
  return yardstick;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The mean of each slice's req/s against the bare route's runs on either side of it, if the row has slices. */
function slicedRatio(r: Row): number | undefined {
  const slices = r.slices ?? [];
  const bare = r.bareAround ?? [];
  if (!slices.length || bare.length !== slices.length + 1) return undefined;
  return mean(slices.map((m, i) => m.requestsPerSecond / mean([bare[i]!.requestsPerSecond, bare[i + 1]!.requestsPerSecond])));
}

/** App + Redis CPU per request: what the service spends on one, whatever else runs on the machine. */
export const serviceMicros = (r: Row | undefined) => (r?.run ? r.run.cpuMicrosPerRequest.app + r.run.cpuMicrosPerRequest.redis : NaN);
