import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { buildDist, freePort, killAll, spawnDist, waitUntilReady } from '../support/processes';
import { eventually, wipeState } from '../support/test-env';

/*
 * Metrics in Prometheus format and structured JSON logs with request ids.
 */

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    await wipeState();
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('counts checkouts and purchase items by result, times requests by route, and shows the sale and queue', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 3, perUserLimit: 1 });
    const items = await itemIdsOf(t, sale);
    const code = (await request(t.url).post('/checkout').query({ user_id: 'metric-user-1', id: items[0] })).body.code;
    await request(t.url).post('/purchase').query({ code });
    await request(t.url).post('/purchase').query({ code }); // the same code again: not counted twice
    await request(t.url).post('/checkout').query({ user_id: 'metric-user-2', id: items[0] }); // sold out
    await request(t.url).post('/checkout').query({ user_id: 'metric-user-1', id: items[1] }); // limit reached

    const text = (await request(t.url).get('/metrics')).text;
    expect(text).toContain('flashsale_checkouts_total{result="accepted"} 1');
    expect(text).toContain('flashsale_checkouts_total{result="item_sold_out"} 1');
    expect(text).toContain('flashsale_checkouts_total{result="user_limit_reached"} 1');
    expect(text).toContain('flashsale_purchase_items_total{result="purchased"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/checkout",status="200"\} 1\b/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/purchase",status="200"\} 2\b/);
    expect(text).toContain(`flashsale_sale_items_sold{sale="${sale.id}"} 1`);
    expect(text).toContain(`flashsale_sale_items_remaining{sale="${sale.id}"} 2`);
    expect(text).toMatch(/flashsale_queue_jobs\{state="waiting"\} \d+/);
    expect(text).toMatch(/flashsale_dead_letters \d+/);
    expect(text).toMatch(new RegExp(`flashsale_outbox_entries\\{sale="${sale.id}"\\} \\d+`));
    expect(text).toMatch(/process_cpu_user_seconds_total \d/);
    // No label carries a user.
    expect(text).not.toContain('metric-user');
  });

  it('echoes a valid X-Request-Id and makes one up otherwise', async () => {
    expect((await request(t.url).get('/health/live').set('x-request-id', 'trace-abc.123')).headers['x-request-id']).toBe('trace-abc.123');
    const made = [
      (await request(t.url).get('/health/live')).headers['x-request-id'],
      (await request(t.url).get('/health/live')).headers['x-request-id'],
    ];
    for (const id of made) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(made[0]).not.toBe(made[1]);
    expect((await request(t.url).get('/health/live').set('x-request-id', 'bad id with spaces')).headers['x-request-id']).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});

describe('logs', () => {
  afterAll(killAll);

  it('are JSON lines, one per request with its request id, without query strings', async () => {
    buildDist();
    const port = await freePort();
    const api = spawnDist('main.js', { PORT: String(port), LOG_REQUEST_SAMPLE_RATE: '1' });
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url, api);
    await request(url).post('/checkout?user_id=secret-user&id=1').set('x-request-id', 'req-42');

    const line = await eventually(
      async () => api.output.stdout.split('\n').find((l) => l.includes('"req-42"')),
      (l) => l !== undefined,
      5_000,
    );
    const entry = JSON.parse(line!);
    expect(entry).toMatchObject({
      level: 'info',
      reqId: 'req-42',
      msg: 'request',
      method: 'POST',
      route: '/checkout',
      service: 'flashsale',
    });
    expect(typeof entry.ms).toBe('number');
    expect(typeof entry.time).toBe('string');
    expect(api.output.stdout).not.toContain('secret-user');
    // Every line is JSON, framework lines included.
    for (const l of api.output.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
  });
});

describe('the Grafana dashboard (ops/grafana/flashsale-dashboard.json)', () => {
  it('only charts metrics the service exports', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'ops', 'grafana', 'flashsale-dashboard.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    const used = new Set(
      exprs.flatMap(
        (e) => e.match(/\b(flashsale_[a-z_]+|http_request_duration_seconds_[a-z]+|process_[a-z_]+|nodejs_[a-z0-9_]+)\b/g) ?? [],
      ),
    );
    expect(used.size).toBeGreaterThan(10);

    const t = await startTestApp();
    try {
      await request(t.url).get('/health/live'); // so the request histogram has a series
      const exported = (await request(t.url).get('/metrics')).text;
      for (const metric of used)
        expect([metric, exported.includes(`\n${metric}`) || exported.includes(`# TYPE ${metric} `)]).toEqual([metric, true]);
    } finally {
      await t.close();
    }
  });
});
