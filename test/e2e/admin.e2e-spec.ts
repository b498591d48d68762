import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ADMIN_HTTP_CONTROLLERS } from '../../src/modules/http.module';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { TestApp, startTestApp } from '../support/test-app';
import { rawRedis, wipeState, withPg } from '../support/test-env';
import { SseClient } from '../support/sse';

/*
 * The admin API (/admin/..., behind ADMIN_TOKEN) and the admin CLI: the same use cases through two doors.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const TOKEN = 'admin-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let t: TestApp;

beforeAll(async () => {
  await wipeState();
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  t = await startTestApp({ ADMIN_TOKEN: TOKEN });
});

afterAll(async () => {
  await t.close();
});

const hour = 3_600_000;
const iso = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('admin API', () => {
  it('is off (404) without a configured token', async () => {
    const off = await startTestApp();
    try {
      const res = await request(off.url).get('/admin/dashboard').set(auth);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await off.close();
    }
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token-at-all' }],
    ['a token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('refuses %s with 401 problem+json and changes nothing', async (_name, headers) => {
    const res = await request(t.url)
      .post('/admin/sales')
      .set(headers)
      .send({ startsAt: iso(-1000), endsAt: iso(hour), items: 5, saleCap: 5, perUserLimit: 1 });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.code).toBe('unauthorized');
    expect((await request(t.url).get('/admin/sales').set(auth)).body.sales).toEqual([]);
  });

  it('guards every admin route, not only one: each answers 401 without the token', async () => {
    // Every route the admin controllers declare, read from their own decorators.
    const routes = ADMIN_HTTP_CONTROLLERS.flatMap((controller) => {
      const proto = controller.prototype as unknown as Record<string, unknown>;
      expect(Reflect.getMetadata(PATH_METADATA, controller)).toBe('admin');
      return Object.getOwnPropertyNames(proto)
        .filter((name) => name !== 'constructor')
        .map((name) => proto[name])
        .filter((fn): fn is object => typeof fn === 'function' && Reflect.getMetadata(PATH_METADATA, fn) !== undefined)
        .map((fn) => [
          RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as number]!,
          `/admin/${Reflect.getMetadata(PATH_METADATA, fn)}`,
        ]);
    });
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const [method, route] of routes) {
      const path = route!.replace(':userId', 'someone').replace(':id', '1');
      const res = await request(t.url)[method!.toLowerCase() as 'get' | 'post'](path).send({});
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 401, 'unauthorized']);
    }
  });

  it('creates a sale that is live at once, and refuses an overlapping one', async () => {
    const sale = { startsAt: iso(-1000), endsAt: iso(hour), items: 5, saleCap: 4, perUserLimit: 2 };
    const res = await request(t.url).post('/admin/sales').set(auth).send(sale);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'active', itemsTotal: 5, saleCap: 4, perUserLimit: 2, itemsSold: 0 });
    expect((await request(t.url).get('/sales/active')).body.id).toBe(res.body.id);

    // The very same request again (a retry whose first answer was lost): the same sale, 200, nothing new.
    const again = await request(t.url).post('/admin/sales').set(auth).send(sale);
    expect([again.status, again.body]).toEqual([200, res.body]);
    const changed = await request(t.url)
      .post('/admin/sales')
      .set(auth)
      .send({ ...sale, perUserLimit: 3 });
    expect([changed.status, changed.body.code]).toEqual([409, 'sale_overlaps']);

    const overlap = await request(t.url)
      .post('/admin/sales')
      .set(auth)
      .send({ startsAt: iso(10 * 60_000), endsAt: iso(2 * hour), items: 5, saleCap: 5, perUserLimit: 1 });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('sale_overlaps');
  });

  it.each([
    [{ startsAt: 'yesterday', endsAt: iso(hour), items: 1, saleCap: 1, perUserLimit: 1 }, 'startsAt'],
    // Without its zone a time would be read in the server's own.
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour).replace('Z', ''), items: 1, perUserLimit: 1 }, 'endsAt'],
    [{ startsAt: iso(2 * hour).slice(0, 10), endsAt: iso(3 * hour), items: 1, perUserLimit: 1 }, 'startsAt'],
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 0, saleCap: 1, perUserLimit: 1 }, 'items'],
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, saleCap: 1 }, 'perUserLimit'],
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, saleCap: 1, perUserLimit: 1, extra: true }, 'extra'],
    // Past what the order store counts in (32-bit integers): refused, never a 500 from PostgreSQL.
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, perUserLimit: 3_000_000_000 }, 'perUserLimit'],
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, saleCap: 3_000_000_000, perUserLimit: 1 }, 'saleCap'],
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, unitsPerItem: 2_000_000, perUserLimit: 1 }, 'unitsPerItem'],
    // An optional field is left out or valid: null is neither.
    [{ startsAt: iso(2 * hour), endsAt: iso(3 * hour), items: 1, saleCap: null, perUserLimit: 1 }, 'saleCap'],
  ])('refuses a bad sale body with 400 naming the field (%#)', async (body, field) => {
    const res = await request(t.url).post('/admin/sales').set(auth).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', parameter: field });
  });

  it.each([
    ['/admin/orders/reconcile', { graceMs: null }, 'graceMs'],
    ['/admin/orders/reconcile', { saleId: null, force: true }, 'saleId'],
    ['/admin/queue/retry', { jobIds: null }, 'jobIds'],
  ])('refuses null for an optional field of %s with 400 naming it, rather than reading it as a value', async (path, body, field) => {
    const res = await request(t.url).post(path).set(auth).send(body);
    expect([res.status, res.body.code, res.body.parameter]).toEqual([400, 'invalid_request', field]);
  });

  it('refuses a sale whose default cap (every unit) would not fit the store, creating nothing', async () => {
    const before = (await request(t.url).get('/admin/sales').set(auth)).body;
    const res = await request(t.url)
      .post('/admin/sales')
      .set(auth)
      .send({ startsAt: iso(5 * hour), endsAt: iso(6 * hour), items: 1_000_000, unitsPerItem: 3_000, perUserLimit: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request' });
    expect(res.body.detail).toMatch(/at most 2147483647 units in all/);
    expect((await request(t.url).get('/admin/sales').set(auth)).body).toEqual(before);
  });

  it('pauses and resumes atomically with checkout and purchase', async () => {
    const sale = (await request(t.url).get('/sales/active')).body;
    const item = (await request(t.url).get(`/sales/${sale.id}/items`)).body.items[0].id;
    const code = (await request(t.url).post('/checkout').query({ user_id: 'pia', id: item })).body.code;

    const paused = await request(t.url).post(`/admin/sales/${sale.id}/pause`).set(auth);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    const c = await request(t.url).post('/checkout').query({ user_id: 'quinn', id: item });
    expect([c.status, c.body.code]).toEqual([409, 'sale_paused']);
    const p = await request(t.url).post('/purchase').query({ code });
    expect([p.status, p.body.code]).toEqual([409, 'sale_paused']);

    expect((await request(t.url).post(`/admin/sales/${sale.id}/resume`).set(auth)).body.status).toBe('active');
    expect((await request(t.url).post('/purchase').query({ code })).body.purchased).toEqual([item]);
  });

  it('reports a sale with its counters, and what a user bought', async () => {
    const sale = (await request(t.url).get('/sales/active')).body;
    const report = await request(t.url).get(`/admin/sales/${sale.id}`).set(auth);
    expect(report.body).toMatchObject({ sale: { id: sale.id, itemsSold: 1 }, stats: { purchasesAcknowledged: 1 } });
    expect(report.body.stats.checkouts).toMatchObject({ accepted: 1, sale_paused: 1 });
    const user = await request(t.url).get(`/admin/sales/${sale.id}/users/pia/purchases`).set(auth);
    expect(user.body).toMatchObject({ saleId: sale.id, userId: 'pia', unitsBought: 1, perUserLimit: 2 });
  });

  it('streams dashboard snapshots every second', async () => {
    const s = await SseClient.open(`${t.url}/admin/events`, auth);
    try {
      await s.until(() => s.of('stats').length >= 2, 4_000);
      const [first, second] = s.of('stats');
      expect(second!.at - first!.at).toBeGreaterThan(500);
      expect(first!.data).toMatchObject({
        sale: { itemsSold: 1 },
        purchasesAcknowledged: 1,
        health: { redis: 'up', postgres: 'up', worker: 'up' },
      });
      expect(first!.data.rejections).toMatchObject({ sale_paused: 1 });
    } finally {
      s.close();
    }
    const unauthorized = await SseClient.open(`${t.url}/admin/events`);
    expect(unauthorized.status).toBe(401);
    unauthorized.close();
  });

  it('ends open dashboard streams when the server shuts down, instead of waiting for them', async () => {
    const other = await startTestApp({ ADMIN_TOKEN: TOKEN });
    const s = await SseClient.open(`${other.url}/admin/events`, auth);
    await s.until(() => s.of('stats').length >= 1);
    await other.close();
    await s.until(() => s.ended);
    expect(s.ended).toBe(true);
  });
});

describe('admin CLI', () => {
  const cli = (...args: string[]) => spawnSync('node', ['dist/cli.js', ...args], { cwd: ROOT, env: process.env, encoding: 'utf8' });

  it('lists, shows, pauses and resumes sales, with --json for scripts', async () => {
    const list = cli('sale:list', '--json');
    expect(list.status).toBe(0);
    const [sale] = JSON.parse(list.stdout);
    expect(sale.status).toBe('active');

    expect(JSON.parse(cli('sale:pause', String(sale.id), '--json').stdout).status).toBe('paused');
    const redis = rawRedis();
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'paused')).toBe('1');
    expect(JSON.parse(cli('sale:resume', String(sale.id), '--json').stdout).status).toBe('active');
    expect(await redis.hget(`{sale:${sale.id}}:meta`, 'paused')).toBeNull();
    redis.disconnect();

    const shown = cli('sale:show', String(sale.id));
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/purchases acknowledged\s+1/);
    expect(JSON.parse(cli('user:purchases', String(sale.id), 'pia', '--json').stdout)).toMatchObject({ unitsBought: 1 });
  });

  it('creates a sale', () => {
    const created = cli('sale:create', '--start', '+2h', '--end', '+3h', '--items', '7', '--limit', '3', '--json');
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ status: 'scheduled', itemsTotal: 7, perUserLimit: 3, saleCap: 7 });
  });

  it("creates a sale with the README's options: units per item, a cap below them, one purchase per user", async () => {
    const created = cli(
      'sale:create',
      '--start',
      '+4h',
      '--end',
      '+5h',
      '--items',
      '5',
      '--units',
      '3',
      '--cap',
      '4',
      '--limit',
      '2',
      '--one-purchase',
      '--json',
    );
    expect(created.status).toBe(0);
    const sale = JSON.parse(created.stdout);
    expect(sale).toMatchObject({
      status: 'scheduled',
      itemsTotal: 5,
      itemsRemaining: 4,
      saleCap: 4,
      perUserLimit: 2,
      onePurchasePerUser: true,
    });
    // The view shows units only through the cap; the record has them.
    const { rows } = await withPg((pg) => pg.query('SELECT units_per_item FROM sales WHERE id = $1', [sale.id]));
    expect(rows).toEqual([{ units_per_item: 3 }]);
  });

  it.each([
    [['sale:show', '987654'], /sale_not_found/],
    [['sale:show', 'abc'], /sale id must be a positive integer/],
    [['sale:create', '--start', 'soon', '--end', '+1h', '--items', '3'], /--start must be/],
    [
      ['sale:create', '--start', '2030-01-01T10:00:00', '--end', '+1h', '--items', '3', '--limit', '1'],
      /--start must be an ISO time with its zone/,
    ],
    [['user:purchases', '1', 'bad user'], /user id/],
    // The HTTP door's bounds, and no value it would refuse: a day that does not exist is not rolled over.
    [
      ['sale:create', '--start', '2030-02-30T10:00:00Z', '--end', '2030-03-05T10:00:00Z', '--items', '3', '--limit', '1'],
      /--start must be/,
    ],
    [['sale:create', '--start', '+1h', '--end', '+9999999999d', '--items', '3', '--limit', '1'], /--end must be/],
    [['sale:show', '3000000000'], /sale id must be a positive integer up to 2,147,483,647/],
    [['sale:list', '--limit', '501'], /--limit must be a positive integer up to 500/],
    [['queue:failed', '--limit', '1001'], /--limit must be a positive integer up to 1,000/],
    [['orders:reconcile', '--grace-ms', '86400001'], /--grace-ms must be an integer from 0 up to 86,400,000/],
    // Arguments past those declared are refused, not ignored.
    [['sale:pause', '1', '2'], /too many arguments/],
    [['sale:list', '5'], /too many arguments/],
    [['queue:retry', '7', '--all'], /not both/],
    [['no:such-command'], /unknown command/],
  ])('fails with a one-line reason and a non-zero exit: %j', (args, reason) => {
    const r = cli(...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(reason);
  });

  it('has --help on every command', () => {
    const commands = [
      'sale:create',
      'sale:list',
      'sale:show',
      'sale:pause',
      'sale:resume',
      'user:purchases',
      'orders:reconcile',
      'queue:status',
      'queue:failed',
      'queue:retry',
      'mail:outbox',
      'line:status',
      'line:rate',
      'line:close',
    ];
    // Every command the CLI has, so a new one cannot go without this check.
    const listed = [...cli('--help').stdout.matchAll(/^ {2}([a-z]+:[a-z-]+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...commands].sort());
    for (const command of commands) {
      const r = cli(command, '--help');
      expect([command, r.status]).toEqual([command, 0]);
      expect(r.stdout).toContain(`Usage: `);
    }
  });
});
