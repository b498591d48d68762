import request from 'supertest';
import { ReconcileOrdersUseCase } from '../../src/application/orders/reconcile-orders.use-case';
import { OrderQueue } from '../../src/application/order-pipeline/order-queue.port';
import { BullmqOrderQueue } from '../../src/infrastructure/order-pipeline/bullmq-order-queue';
import { Sale } from '../../src/domain/sale/sale.entity';
import { saleKeys } from '../../src/infrastructure/redis/sale-keys';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * The reconciler compares Redis with PostgreSQL: an acknowledged purchase whose order is missing is queued
 * again and comes back; an item sold only in PostgreSQL is reported (and exported as a metric).
 */

let t: TestApp;
let sale: Sale;
let items: number[];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ RECONCILE_INTERVAL_MS: '0' });
  sale = await createOpenSale(t, { itemsTotal: 8 });
  items = await itemIdsOf(t, sale);
});

afterAll(async () => {
  await t.close();
});

const orders = () => withPg(async (pg) => (await pg.query('SELECT id FROM orders ORDER BY id')).rows.map((r) => r.id as string));

async function buy(user: string, item: number): Promise<string> {
  const code = (await request(t.url).post('/checkout').query({ user_id: user, id: item })).body.code;
  return (await request(t.url).post('/purchase').query({ code })).body.orderId;
}

describe('reconciliation', () => {
  it('queues again an acknowledged purchase whose order went missing, and it comes back', async () => {
    const a = await buy('ana', items[0]!);
    const b = await buy('ben', items[1]!);
    expect(await eventually(orders, (o) => o.length === 2)).toEqual([a, b].sort());

    // Lose one order in PostgreSQL, as if it had never been written.
    await withPg((pg) => pg.query('DELETE FROM orders WHERE id = $1', [b]));
    await withPg((pg) => pg.query('UPDATE items SET sold = false, sold_count = 0 WHERE id = $1', [items[1]]));

    const report = await t.app.get(ReconcileOrdersUseCase).execute(0);
    expect(report).toEqual([
      {
        saleId: sale.id,
        acknowledged: 2,
        requeued: 1,
        pipelineBusy: false,
        replicaUnconfirmed: false,
        deadLettered: 0,
        soldOnlyInPostgres: [],
      },
    ]);
    expect(await eventually(orders, (o) => o.length === 2)).toEqual([a, b].sort());

    // Once complete, reconciling again finds nothing to do.
    expect((await t.app.get(ReconcileOrdersUseCase).execute(0))[0]!.requeued).toBe(0);
  });

  it('does not re-queue while orders are still on their way (no worker running here), unless forced', async () => {
    await t.close();
    // No worker: purchases pile up in the queue, as in a backlog.
    t = await startTestApp({ RECONCILE_INTERVAL_MS: '0', WORKER_ENABLED: 'false' });
    const late = await buy('dee', items[3]!);
    await eventually(
      () => t.app.get(OrderQueue).counts(),
      (c) => c.waiting > 0,
    );
    const busy = await t.app.get(ReconcileOrdersUseCase).execute(0);
    expect(busy[0]).toMatchObject({ requeued: 0, pipelineBusy: true });
    // Work younger than the grace period is not a backlog: the reconciler runs (and finds nothing old).
    expect((await t.app.get(ReconcileOrdersUseCase).execute(60_000))[0]).toMatchObject({ requeued: 0, pipelineBusy: false });
    const forced = await t.app.get(ReconcileOrdersUseCase).execute(0, undefined, true);
    expect(forced[0]).toMatchObject({ requeued: 1, pipelineBusy: false });
    // With a worker again, the late order (queued twice now) is written once.
    await t.close();
    t = await startTestApp({ RECONCILE_INTERVAL_MS: '0' });
    expect((await eventually(orders, (o) => o.includes(late))).filter((id) => id === late)).toHaveLength(1);
  });

  it('re-queues an old missing order while fresh orders are still in flight (a busy sale)', async () => {
    const GRACE_MS = 1_500;
    const old = await buy('eve', items[6]!);
    await eventually(orders, (o) => o.includes(old));
    await withPg((pg) => pg.query('DELETE FROM orders WHERE id = $1', [old]));
    await withPg((pg) => pg.query('UPDATE items SET sold = false, sold_count = 0 WHERE id = $1', [items[6]]));
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 100));

    // A fresh purchase held in the queue: work in flight, but younger than the grace period.
    const queue = t.app.get(BullmqOrderQueue).queue;
    await queue.pause();
    let fresh: string;
    try {
      fresh = await buy('fay', items[7]!);
      await eventually(
        () => t.app.get(OrderQueue).counts(),
        (c) => c.waiting > 0,
      );
      const report = await t.app.get(ReconcileOrdersUseCase).execute(GRACE_MS);
      expect(report[0]).toMatchObject({ requeued: 1, pipelineBusy: false });
    } finally {
      await queue.resume();
    }
    const written = await eventually(orders, (o) => o.includes(old) && o.includes(fresh));
    expect(written.filter((id) => id === old || id === fresh)).toHaveLength(2);
  });

  it('leaves purchases younger than the grace period alone', async () => {
    await buy('cat', items[2]!);
    const report = await t.app.get(ReconcileOrdersUseCase).execute(60_000);
    expect(report[0]!.requeued).toBe(0);
  });

  it('reports items sold in PostgreSQL but not in Redis, in the log and as a metric', async () => {
    await withPg((pg) => pg.query('UPDATE items SET sold = true, sold_count = 1 WHERE id = $1', [items[5]]));
    const report = await t.app.get(ReconcileOrdersUseCase).execute(0);
    expect(report[0]!.soldOnlyInPostgres).toEqual([items[5]]);
    const metrics = await request(t.url).get('/metrics');
    expect(metrics.text).toContain(`flashsale_reconcile_sold_only_in_postgres_items{sale="${sale.id}"} 1`);
  });

  it('reconciles the rest of a sale when some of its checkout records cannot be read', async () => {
    // Nothing writes such a record; a hand edit or a bug could. One record must not hide every other.
    const redis = rawRedis();
    try {
      await redis.hset(saleKeys(sale.id).checkouts, {
        'garbled-record': 'not json',
        'misshapen-record': JSON.stringify({ s: 'spent', u: 'x', r: { o: 'order-x', l: 5, t: 1 } }),
      });
      const lost = await buy('gus', items[4]!);
      await eventually(orders, (o) => o.includes(lost));
      await withPg((pg) => pg.query('DELETE FROM orders WHERE id = $1', [lost]));
      await withPg((pg) => pg.query('UPDATE items SET sold = false, sold_count = 0 WHERE id = $1', [items[4]]));

      const report = await t.app.get(ReconcileOrdersUseCase).execute(0);
      expect(report[0]).toMatchObject({ saleId: sale.id, requeued: 1 });
      expect(await eventually(orders, (o) => o.includes(lost))).toContain(lost);
    } finally {
      await redis.hdel(saleKeys(sale.id).checkouts, 'garbled-record', 'misshapen-record');
      redis.disconnect();
    }
  });
});
