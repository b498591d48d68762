import { Histogram, Registry } from 'prom-client';
import { RequestDurations } from '../../../src/infrastructure/metrics/request-durations';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Sample lines of a scrape, keyed by name and sorted labels (label order is not part of the format). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = (m[2] ?? '').split(',').filter(Boolean).sort().join(',');
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

describe('RequestDurations', () => {
  // Every bucket edge, values between them, past the last bound, and several series.
  const observations: Array<[string, string, number, number]> = [
    ...BOUNDS.map((b): [string, string, number, number] => ['GET', '/sales/active', 200, b]),
    ...BOUNDS.map((b): [string, string, number, number] => ['POST', '/checkout', 409, b * 1.5]),
    ['POST', '/checkout', 200, 0.0001],
    ['POST', '/checkout', 200, 7],
    ['GET', 'unmatched', 404, 0.002],
    ['POST', '/sales/active', 200, 0.003],
  ];

  it('scrapes exactly as a prom-client Histogram given the same observations', async () => {
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const ours = new Registry();
    const durations = new RequestDurations(BOUNDS);
    ours.registerMetric(durations.asMetric());
    for (const [method, route, status, seconds] of observations) {
      reference.observe({ method, route, status }, seconds);
      durations.observe(method, route, status, seconds);
    }

    const expected = samples(await theirs.metrics());
    const actual = samples(await ours.metrics());
    expect(expected.size).toBe(5 * (BOUNDS.length + 3)); // five series: buckets, +Inf, _sum, _count
    expect(actual).toEqual(expected);
    expect((await ours.metrics()).split('\n').slice(0, 2)).toEqual((await theirs.metrics()).split('\n').slice(0, 2));
  });

  it('counts a value on a bound into that bucket, and forgets everything on reset', async () => {
    const ours = new Registry();
    const durations = new RequestDurations([0.1, 1]);
    ours.registerMetric(durations.asMetric());
    durations.observe('GET', '/x', 200, 0.1);
    durations.observe('GET', '/x', 200, 1.5);
    const text = await ours.metrics();
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",route="/x",status="200",le="0.1"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",route="/x",status="200",le="1"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",route="/x",status="200",le="+Inf"} 2');
    expect(text).toContain('http_request_duration_seconds_sum{method="GET",route="/x",status="200"} 1.6');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/x",status="200"} 2');
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('_count');
  });

  it('drops a duration that is not a finite number instead of counting it', async () => {
    const ours = new Registry();
    const durations = new RequestDurations([0.1, 1]);
    ours.registerMetric(durations.asMetric());
    durations.observe('GET', '/x', 200, Number.NaN);
    durations.observe('GET', '/x', 200, Number.POSITIVE_INFINITY);
    expect(await ours.metrics()).not.toContain('_count');
  });

  it('refuses bounds that do not increase', () => {
    expect(() => new RequestDurations([0.1, 0.1])).toThrow('increase');
  });
});
