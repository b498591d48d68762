import { REGISTRY_KEY } from '../../src/infrastructure/redis/sale-keys';
import request from 'supertest';
import { SaleLedgerLoader } from '../../src/application/sales/sale-ledger-loader.port';
import { EnsureUpcomingSalesUseCase } from '../../src/application/sales/ensure-upcoming-sales.use-case';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TestApp, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * The scheduler step (create and load the current and the next recurring sale) runs on every instance at
 * once. However many instances race, PostgreSQL holds exactly one sale per window with its items, Redis
 * holds each sale once, and loading again never undoes a sale already made.
 */

const SALE_ITEMS = 40;
const MARGIN_MS = 5 * 60_000;

/**
 * A sale length (about an hour) whose current window has at least MARGIN_MS on either side of now, so the
 * test never straddles a window boundary (windows are aligned to multiples of the length since the epoch).
 */
function saleDurationSeconds(): number {
  const now = Date.now();
  for (let d = 3600; ; d++) {
    const into = now % (d * 1000);
    if (into > MARGIN_MS && d * 1000 - into > MARGIN_MS) return d;
  }
}

interface SaleRow {
  id: number;
  started_at: Date;
  ended_at: Date;
  items_total: number;
  items: number;
  names: number;
}

const salesInPg = () =>
  withPg(
    async (pg) =>
      (
        await pg.query<SaleRow>(
          `SELECT s.id, s.started_at, s.ended_at, s.items_total,
                  (SELECT count(*)::int FROM items i WHERE i.sale_id = s.id) AS items,
                  (SELECT count(DISTINCT name)::int FROM items i WHERE i.sale_id = s.id) AS names
           FROM sales s ORDER BY s.started_at`,
        )
      ).rows,
  );

const itemIdsInPg = (saleId: number) =>
  withPg(async (pg) =>
    (await pg.query<{ id: number }>('SELECT id FROM items WHERE sale_id = $1 ORDER BY id', [saleId])).rows.map((r) => r.id),
  );

async function redisState(saleId: number) {
  const redis = rawRedis();
  try {
    const tag = `{sale:${saleId}}`;
    return {
      meta: await redis.hgetall(`${tag}:meta`),
      stock: await redis.hgetall(`${tag}:stock`),
      registered: await redis.zscore(REGISTRY_KEY, String(saleId)),
    };
  } finally {
    redis.disconnect();
  }
}

describe('the scheduler run by three instances at once', () => {
  const duration = saleDurationSeconds();
  const periodMs = duration * 1000;
  const env = {
    SALE_ITEMS: String(SALE_ITEMS),
    SALE_CAP: String(SALE_ITEMS),
    SALE_PER_USER_LIMIT: '3',
    SALE_DURATION_SECONDS: String(duration),
  };
  let apps: TestApp[] = [];
  let current: Sale;
  let next: Sale;

  const runEverywhere = (rounds: number) =>
    Promise.all(apps.flatMap((t) => Array.from({ length: rounds }, () => t.app.get(EnsureUpcomingSalesUseCase).execute())));

  beforeAll(async () => {
    await wipeState();
    apps = await Promise.all([startTestApp(env), startTestApp(env), startTestApp(env)]);
  });

  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });

  it('creates exactly one sale per window (current and next) with SALE_ITEMS items each', async () => {
    const expectedStart = Math.floor(Date.now() / periodMs) * periodMs;
    const results = await runEverywhere(4);

    // Every one of the 12 concurrent runs names the same two sales, in order.
    for (const ensured of results) expect(ensured.map((s) => s.id)).toEqual(results[0]!.map((s) => s.id));
    [current, next] = results[0]! as [Sale, Sale];
    expect(current.startsAt.getTime()).toBe(expectedStart);
    expect(current.endsAt.getTime()).toBe(expectedStart + periodMs);
    expect(next.startsAt.getTime()).toBe(expectedStart + periodMs);
    expect(next.endsAt.getTime()).toBe(expectedStart + 2 * periodMs);

    const rows = await salesInPg();
    expect(rows.map((r) => r.id)).toEqual([current.id, next.id]);
    expect(rows.map((r) => [r.started_at.getTime(), r.ended_at.getTime()])).toEqual([
      [expectedStart, expectedStart + periodMs],
      [expectedStart + periodMs, expectedStart + 2 * periodMs],
    ]);
    for (const row of rows) {
      expect(row.items_total).toBe(SALE_ITEMS);
      expect(row.items).toBe(SALE_ITEMS);
      expect(row.names).toBe(SALE_ITEMS);
    }
  });

  it('draws no sale id from the sequence once its sales exist, however often it runs', async () => {
    const lastId = () => withPg(async (pg) => (await pg.query<{ n: string }>('SELECT last_value AS n FROM sales_id_seq')).rows[0]!.n);
    const before = await lastId();
    await runEverywhere(3);
    expect(await lastId()).toBe(before);
  });

  it('loads each sale into Redis once: its own items, one unit each, meta matching PostgreSQL, registered', async () => {
    for (const sale of [current, next]) {
      const state = await redisState(sale.id);
      const ids = await itemIdsInPg(sale.id);
      expect(Object.keys(state.stock)).toHaveLength(SALE_ITEMS);
      expect(
        Object.keys(state.stock)
          .map(Number)
          .sort((a, b) => a - b),
      ).toEqual(ids);
      expect(new Set(Object.values(state.stock))).toEqual(new Set(['1']));
      expect(state.meta).toMatchObject({
        startsAt: String(sale.startsAt.getTime()),
        endsAt: String(sale.endsAt.getTime()),
        itemsTotal: String(SALE_ITEMS),
        sold: '0',
      });
      expect(Number(state.registered)).toBe(sale.endsAt.getTime());
    }
  });

  it('serves the current sale as active on every instance and the next one as scheduled', async () => {
    for (const t of apps) {
      const active = await request(t.url).get('/sales/active');
      expect(active.status).toBe(200);
      expect(active.body).toMatchObject({
        id: current.id,
        status: 'active',
        itemsTotal: SALE_ITEMS,
        itemsSold: 0,
        startsAt: current.startsAt.toISOString(),
        endsAt: current.endsAt.toISOString(),
      });
      const upcoming = await request(t.url).get(`/sales/${next.id}`);
      expect(upcoming.status).toBe(200);
      expect(upcoming.body).toMatchObject({ id: next.id, status: 'scheduled', itemsTotal: SALE_ITEMS, itemsSold: 0 });
    }
    // An item of the next sale cannot be checked out yet: 409 sale_not_started, with when to come back.
    const nextItem = (await itemIdsInPg(next.id))[0]!;
    const early = await request(apps[0]!.url).post('/checkout').query({ user_id: 'early-bird', id: nextItem });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('sale_not_started');
    const wait = (next.startsAt.getTime() - Date.now()) / 1000;
    expect(Number(early.headers['retry-after'])).toBeGreaterThanOrEqual(Math.floor(wait));
    expect(Number(early.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil(wait) + 1);
    expect((await redisState(next.id)).stock[String(nextItem)]).toBe('1');
  });

  it('running again on every instance, and even a stale reload, does not bring back a sold item', async () => {
    const item = (await itemIdsInPg(current.id))[7]!;
    const c = await request(apps[1]!.url).post('/checkout').query({ user_id: 'buyer', id: item });
    expect(c.status).toBe(200);
    const p = await request(apps[2]!.url).post('/purchase').query({ code: c.body.code });
    expect(p.status).toBe(200);
    expect(p.body.purchased).toEqual([item]);

    const again = await runEverywhere(3);
    for (const ensured of again) expect(ensured.map((s) => s.id)).toEqual([current.id, next.id]);

    // Two instances that both saw the sale as not loaded would both load it, perhaps from a PostgreSQL that
    // does not have the order yet: the load must still not overwrite what Redis holds.
    const stale = (await itemIdsInPg(current.id)).map((id) => ({ id: id as ItemId, unitsLeft: 1 }));
    expect(await apps[0]!.app.get(SaleLedgerLoader).load(current, stale, [], 0)).toBe(false);

    const state = await redisState(current.id);
    expect(state.stock[String(item)]).toBe('0');
    expect(Object.keys(state.stock)).toHaveLength(SALE_ITEMS);
    expect(state.meta.sold).toBe('1');
    expect((await salesInPg()).map((r) => [r.id, r.items])).toEqual([
      [current.id, SALE_ITEMS],
      [next.id, SALE_ITEMS],
    ]);

    const other = await request(apps[0]!.url).post('/checkout').query({ user_id: 'late', id: item });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('item_sold_out');
    // Every instance shows the sale bought: at once on the one that sold, within the age its reads accept
    // (100 ms, README "HTTP API") on the others, which may hold an answer read just before the purchase.
    for (const t of apps) {
      const active = await eventually(
        () => request(t.url).get('/sales/active'),
        (r) => r.body.itemsSold === 1,
        1_000,
        20,
      );
      expect(active.body).toMatchObject({ id: current.id, status: 'active', itemsSold: 1 });
    }
    // And the order reaches PostgreSQL as usual.
    const sold = await eventually(
      () => withPg(async (pg) => (await pg.query('SELECT sold FROM items WHERE id = $1', [item])).rows[0]?.sold as boolean),
      (s) => s === true,
    );
    expect(sold).toBe(true);
  });
});

describe('three instances starting at once with the scheduler loop on', () => {
  const duration = saleDurationSeconds();
  let apps: TestApp[] = [];

  beforeAll(async () => {
    await wipeState();
  });

  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });

  it('still ends with one loaded sale per window, and every instance serves the current one', async () => {
    const env = {
      SALE_ITEMS: String(SALE_ITEMS),
      SALE_CAP: String(SALE_ITEMS),
      SALE_DURATION_SECONDS: String(duration),
      SALE_SCHEDULER_ENABLED: 'true',
      SALE_SCHEDULER_INTERVAL_MS: '100',
    };
    apps = await Promise.all([startTestApp(env), startTestApp(env), startTestApp(env)]);
    // Let the loops race a few more rounds.
    await new Promise((r) => setTimeout(r, 700));

    const rows = await salesInPg();
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.items)).toEqual([SALE_ITEMS, SALE_ITEMS]);
    const start = Math.floor(Date.now() / (duration * 1000)) * duration * 1000;
    expect(rows[0]!.started_at.getTime()).toBe(start);
    expect(rows[1]!.started_at.getTime()).toBe(start + duration * 1000);
    for (const row of rows) expect(Object.keys((await redisState(row.id)).stock)).toHaveLength(SALE_ITEMS);
    // The scheduler runs before the app serves: each instance answers with the sale straight away.
    for (const t of apps) {
      const active = await request(t.url).get('/sales/active');
      expect(active.status).toBe(200);
      expect(active.body).toMatchObject({ id: rows[0]!.id, status: 'active', itemsTotal: SALE_ITEMS });
    }
  });
});
