import { execFileSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { RecordOrdersUseCase } from '../../src/application/order-pipeline/record-orders.use-case';
import { OrderQueue } from '../../src/application/order-pipeline/order-queue.port';
import { Order } from '../../src/domain/order/order.entity';
import { BullmqOrderQueue } from '../../src/infrastructure/order-pipeline/bullmq-order-queue';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisReplicaConfirmation } from '../../src/infrastructure/redis/redis-replica-confirmation';
import { ItemId } from '../../src/domain/sale/item-id.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, wipeState, withPg } from '../support/test-env';

/*
 * An order PostgreSQL keeps refusing is retried with backoff, then parked as a dead letter that an operator
 * can list and replay; it never holds back the other orders of its batch or later ones.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const MISSING_ITEM = 2_000_000_000;

let t: TestApp;
let sale: Sale;
let items: number[];

beforeAll(async () => {
  await wipeState();
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  t = await startTestApp({ ORDER_MAX_ATTEMPTS: '2', ORDER_RETRY_BACKOFF_MS: '50' });
  sale = await createOpenSale(t, { itemsTotal: 10 });
  items = await itemIdsOf(t, sale);
});

afterAll(async () => {
  await t.close();
});

const order = (id: string, itemId: number): Order => ({
  id,
  saleId: sale.id,
  userId: `user-${id.slice(-4)}`,
  checkoutCode: `${sale.id}-code${id.replace(/-/g, '')}`,
  lines: [{ itemId: itemId as ItemId, unit: 1 }],
  purchasedAt: new Date(),
});

const cli = (...args: string[]) => execFileSync('node', ['dist/cli.js', ...args], { cwd: ROOT, env: process.env, encoding: 'utf8' });
const orderCount = () => withPg(async (pg) => (await pg.query('SELECT count(*)::int AS n FROM orders')).rows[0].n as number);

describe('an order PostgreSQL refuses', () => {
  const badId = '00000000-0000-4000-8000-00000000000b';
  const bad = () => order(badId, MISSING_ITEM);

  it('is parked as a dead letter after its attempts, while the rest of its batch is written', async () => {
    const good = [1, 2, 3].map((n) => order(`00000000-0000-4000-8000-00000000000${n}`, items[n]!));
    await t.app.get(OrderQueue).enqueue('mixed-batch', [good[0]!, bad(), good[1]!, good[2]!]);

    expect(await eventually(orderCount, (n) => n === 3)).toBe(3);
    const letters = await eventually(
      () => t.app.get(OrderQueue).deadLetters(10),
      (l) => l.length === 1,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ orderIds: [badId], attempts: 2 });
    expect(letters[0]!.reason).toMatch(/foreign key|Foreign key/);
  });

  it('does not hold back later purchases', async () => {
    const code = (await request(t.url).post('/checkout').query({ user_id: 'later', id: items[5] })).body.code;
    const bought = await request(t.url).post('/purchase').query({ code });
    expect(bought.body.purchased).toEqual([items[5]]);
    expect(await eventually(orderCount, (n) => n === 4)).toBe(4);
  });

  it('is listed by the admin CLI, and written once its cause is fixed and it is retried', async () => {
    const listed = JSON.parse(cli('queue:failed', '--json'));
    expect(listed.map((l: { orderIds: string[] }) => l.orderIds)).toEqual([[badId]]);

    // The cause: the item was missing in PostgreSQL. Fix it, then replay.
    await withPg((pg) => pg.query(`INSERT INTO items (id, sale_id, name) VALUES ($1, $2, 'restored item')`, [MISSING_ITEM, sale.id]));
    expect(JSON.parse(cli('queue:retry', '--all', '--json'))).toEqual({ retried: 1 });

    expect(await eventually(orderCount, (n) => n === 5)).toBe(5);
    expect(await t.app.get(OrderQueue).deadLetters(10)).toEqual([]);
    const sold = await withPg(async (pg) => (await pg.query('SELECT sold FROM items WHERE id = $1', [MISSING_ITEM])).rows[0].sold);
    expect(sold).toBe(true);
  });

  it('writes each order once even when the same batch is processed again', async () => {
    const again = [order('00000000-0000-4000-8000-000000000001', items[1]!)];
    expect(await t.app.get(RecordOrdersUseCase).execute(again)).toEqual({ written: 0, parked: 0 });
    expect(await orderCount()).toBe(5);
  });

  it('is parked on its own also when it was relayed alone, and dead-lettered after its attempts, not the batch', async () => {
    // The relay may read an outbox entry the moment it lands: a batch of one bad order. Before the fix such a
    // batch kept the batch job's 10 attempts and never became the order's own dead letter.
    const loneId = '00000000-0000-4000-8000-0000000000c1';
    const queue = t.app.get(OrderQueue);
    await queue.enqueue('lone-batch', [order(loneId, MISSING_ITEM + 1)]);

    const letters = await eventually(
      () => queue.deadLetters(10),
      (l) => l.length === 1,
    );
    expect(letters).toEqual([expect.objectContaining({ jobId: `order-${loneId}`, orderIds: [loneId], attempts: 2 })]);
    expect(await orderCount()).toBe(5);
  });

  it('gets all its attempts again when it is replayed', async () => {
    const loneId = '00000000-0000-4000-8000-0000000000c1';
    const queue = t.app.get(OrderQueue);
    const [first] = await queue.deadLetters(10);
    expect(first).toMatchObject({ orderIds: [loneId], attempts: 2 });
    // Replayed with its cause still there: it fails again, after its two attempts, not after one more.
    expect(await queue.retryDeadLetters()).toBe(1);
    const [again] = await eventually(
      () => queue.deadLetters(10),
      (l) => l.length === 1 && (l[0]!.failedAt?.getTime() ?? 0) > (first!.failedAt?.getTime() ?? 0),
    );
    expect(again).toMatchObject({ orderIds: [loneId], attempts: 2 });
  });

  it('is replayed once when two operators retry it at the same moment, and neither is refused', async () => {
    const queue = t.app.get(OrderQueue);
    const [first] = await queue.deadLetters(10);
    // Both see it failed before either replays it: the second replay finds it already waiting.
    const counts = await Promise.all([queue.retryDeadLetters(), queue.retryDeadLetters()]);
    expect(counts.sort()).toEqual([0, 1]);
    const [again] = await eventually(
      () => queue.deadLetters(10),
      (l) => l.length === 1 && (l[0]!.failedAt?.getTime() ?? 0) > (first!.failedAt?.getTime() ?? 0),
    );
    expect(again).toMatchObject({ orderIds: [first!.orderIds[0]], attempts: 2 });
  });

  it('is known as a dead letter, so the reconciler does not queue it again on every run', async () => {
    // The lone order above is a dead letter; the bad one of the first batch was written once its item existed.
    const loneId = '00000000-0000-4000-8000-0000000000c1';
    expect([...(await t.app.get(OrderQueue).deadLettered([badId, loneId, '00000000-0000-4000-8000-0000000000ff']))]).toEqual([loneId]);
    // Asked first thing by a process that has not used its queue yet (the CLI's forced reconcile): it opens it.
    const fresh = new BullmqOrderQueue(t.app.get(RedisConnections), t.config, t.app.get(RedisReplicaConfirmation));
    try {
      expect([...(await fresh.deadLettered([loneId]))]).toEqual([loneId]);
    } finally {
      await fresh.onApplicationShutdown();
    }
  });

  it('is parked when another order already holds its checkout code, not counted as written', async () => {
    // A failover can undo a purchase whose order PostgreSQL already has; the buyer's retry spends the same
    // code again under a new order id. That clash must reach an operator as a dead letter.
    const clashId = '00000000-0000-4000-8000-0000000000d1';
    const taken = order('00000000-0000-4000-8000-000000000002', items[2]!).checkoutCode;
    const queue = t.app.get(OrderQueue);
    const before = (await queue.deadLetters(10)).length;
    await queue.enqueue('clash-batch', [{ ...order(clashId, items[7]!), checkoutCode: taken }]);

    const letters = await eventually(
      () => queue.deadLetters(10),
      (l) => l.some((d) => d.orderIds.includes(clashId)),
    );
    expect(letters).toHaveLength(before + 1);
    expect(letters.find((d) => d.orderIds.includes(clashId))!.reason).toMatch(/checkout_code|[Uu]nique/);
    expect(await orderCount()).toBe(5);
  });
});
