import { loadConfig } from '../../../src/infrastructure/config/app-config';
import { PrometheusMetrics, SOLD_ONLY_IN_PG_TTL_MS } from '../../../src/infrastructure/metrics/prometheus-metrics';

/* Reconciliation results are exported while recent: an instance that lost the reconciler's lease, or a sale past
 * retention, must not keep a value (an alert on it) for ever. */

const HOUR = 3_600_000;
const series = async (metrics: PrometheusMetrics) =>
  (await metrics.render()).body.split('\n').filter((l) => l.startsWith('flashsale_reconcile_sold_only_in_postgres_items{'));

describe('PrometheusMetrics: items sold only in PostgreSQL', () => {
  afterEach(() => jest.restoreAllMocks());

  it("exports each sale's last result, then drops it once it is older than the TTL", async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const metrics = new PrometheusMetrics();
    metrics.soldOnlyInPostgres(7, 2);
    metrics.soldOnlyInPostgres(8, 0);
    expect(await series(metrics)).toEqual([
      'flashsale_reconcile_sold_only_in_postgres_items{sale="7"} 2',
      'flashsale_reconcile_sold_only_in_postgres_items{sale="8"} 0',
    ]);

    now += SOLD_ONLY_IN_PG_TTL_MS - 1;
    metrics.soldOnlyInPostgres(8, 1); // sale 8 reconciled again; sale 7 no longer
    expect(await series(metrics)).toHaveLength(2);

    now += 2;
    expect(await series(metrics)).toEqual(['flashsale_reconcile_sold_only_in_postgres_items{sale="8"} 1']);
  });

  it('keeps it for three reconcile intervals when they are longer than the TTL', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const metrics = new PrometheusMetrics(loadConfig({ RECONCILE_INTERVAL_MS: String(HOUR) }));
    metrics.soldOnlyInPostgres(7, 2);
    now += 3 * HOUR;
    expect(await series(metrics)).toHaveLength(1);
    now += 1;
    expect(await series(metrics)).toEqual([]);
  });
});
