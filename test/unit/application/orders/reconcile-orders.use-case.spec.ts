import { ReconcileOrdersUseCase } from '../../../../src/application/orders/reconcile-orders.use-case';
import { ReconcileSettings } from '../../../../src/application/orders/reconcile-settings';
import { CheckoutCode } from '../../../../src/domain/checkout/checkout-code.value-object';
import { Order } from '../../../../src/domain/order/order.entity';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { UserId } from '../../../../src/domain/user/user-id.value-object';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, SECOND, aSaleThatEnded, anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

const GRACE = 30 * SECOND;

describe('ReconcileOrdersUseCase', () => {
  let world: World;
  let reconcile: ReconcileOrdersUseCase;
  let sale: Sale;

  beforeEach(async () => {
    world = new World({ acknowledgedChunk: 2 });
    reconcile = new ReconcileOrdersUseCase(
      world.registry,
      world.settings,
      world.ledger,
      world.ledger,
      world.orders,
      world.sales,
      world.queue,
      world.outbox,
      world.metrics,
      world.clock,
      new ReconcileSettings(GRACE, 60 * SECOND),
      world.lease,
      world.replicas,
    );
    sale = anOpenSale({ items: 10 });
    await world.live(sale);
  });

  /** A purchase acknowledged by the ledger (its order is in the outbox, not yet in PostgreSQL). */
  async function buy(user: string, ...items: number[]): Promise<Order> {
    const code = `${sale.id}-code${user}xxxxxxxxxxxxxx` as CheckoutCode;
    for (const n of items) await world.ledger.checkout(sale.id, user as UserId, itemOf(sale, n), code, null);
    const { result } = await world.ledger.purchase(sale.id, code, `order-${user}`, null, null);
    if (result.kind !== 'done' || !result.orderId) throw new Error('nothing bought');
    return world.outbox.orders(sale.id).find((o) => o.id === result.orderId)!;
  }

  /** The relay and the worker did their job for these orders. */
  async function delivered(...orders: Order[]): Promise<void> {
    await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 1000)).entryIds);
    await world.orders.saveBatch(orders);
  }

  it('re-queues acknowledged purchases that never reached PostgreSQL, once they are older than the grace period', async () => {
    const written = await buy('alice', 1, 2);
    const lost = await buy('bob', 3);
    await delivered(written); // bob's order was lost on the way
    world.clock.advance(GRACE + 1);

    const report = await reconcile.execute();

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
    expect(world.queue.enqueued).toEqual([{ key: expect.stringMatching(`^reconcile-${sale.id}-${lost.id}-`), orders: [lost] }]);
    expect(world.metrics.requeued).toEqual([1]);
  });

  it('queues again only what a replica holds: nothing while no replica confirms, even when forced, and says so', async () => {
    const lost = await buy('bob', 3);
    world.clock.advance(GRACE + 1);
    world.replicas.confirming = false;

    expect(await reconcile.execute(GRACE, undefined, true)).toEqual([
      expect.objectContaining({ acknowledged: 1, requeued: 0, replicaUnconfirmed: true, soldOnlyInPostgres: [] }),
    ]);
    expect(world.queue.enqueued).toEqual([]);

    world.replicas.confirming = true;
    expect(await reconcile.execute(GRACE, undefined, true)).toEqual([expect.objectContaining({ requeued: 1 })]);
    expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual([lost]);
    expect(world.replicas.confirmed).toEqual([sale.id]);
  });

  it('does not queue again a missing purchase that is a dead letter: that would only park it again', async () => {
    const refused = await buy('alice', 1);
    const lost = await buy('bob', 2);
    await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 1000)).entryIds);
    world.queue.addDeadLetter(refused, 'violates foreign key constraint');
    world.clock.advance(GRACE + 1);

    const report = await reconcile.execute();

    expect(report).toEqual([expect.objectContaining({ requeued: 1, deadLettered: 1 })]);
    expect(world.queue.enqueued.flatMap((j) => j.orders.map((o) => o.id))).toEqual([lost.id]);
  });

  it('leaves purchases younger than the grace period alone: they are normally still on their way', async () => {
    const young = await buy('alice', 1);
    await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 10)).entryIds);
    world.clock.advance(GRACE); // exactly the grace period old: not yet

    expect(await reconcile.execute()).toEqual([expect.objectContaining({ acknowledged: 1, requeued: 0 })]);

    world.clock.advance(1);
    expect(await reconcile.execute()).toEqual([expect.objectContaining({ requeued: 1 })]);
    expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual([young]);
  });

  it('looks at every chunk of acknowledged orders', async () => {
    const orders = [await buy('u1', 1), await buy('u2', 2), await buy('u3', 3), await buy('u4', 4), await buy('u5', 5)];
    await delivered(orders[1]!);
    world.clock.advance(GRACE + 1);

    const [report] = await reconcile.execute();

    expect(report).toEqual(expect.objectContaining({ acknowledged: 5, requeued: 4 }));
    expect(
      world.queue.enqueued
        .flatMap((b) => b.orders)
        .map((o) => o.id)
        .sort(),
    ).toEqual([orders[0], orders[2], orders[3], orders[4]].map((o) => o!.id).sort());
  });

  describe('while the pipeline is behind', () => {
    it('skips re-queuing when the outbox holds work older than the grace period', async () => {
      await buy('alice', 1); // still in the outbox
      world.clock.advance(GRACE);

      expect(await reconcile.execute()).toEqual([expect.objectContaining({ acknowledged: 1, requeued: 0, pipelineBusy: true })]);
      expect(world.queue.enqueued).toEqual([]);
    });

    it('skips re-queuing when the queue holds work older than the grace period', async () => {
      const lost = await buy('alice', 1);
      await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 10)).entryIds);
      await world.queue.enqueue('a-batch-stuck-in-the-queue', [anOrder(sale, { items: [itemOf(sale, 9)] })]);
      world.clock.advance(GRACE);

      expect(await reconcile.execute()).toEqual([expect.objectContaining({ pipelineBusy: true, requeued: 0 })]);
      expect(world.queue.enqueued.flatMap((b) => b.orders)).not.toContainEqual(lost);
    });

    it('is not held back by young work in flight (a busy sale)', async () => {
      const lost = await buy('alice', 1);
      await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 10)).entryIds);
      world.clock.advance(GRACE + 1);
      await buy('bob', 2); // just acknowledged, in the outbox

      expect(await reconcile.execute()).toEqual([expect.objectContaining({ pipelineBusy: false, requeued: 1 })]);
      expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual([lost]);
    });

    it('re-queues anyway when forced', async () => {
      await buy('alice', 1);
      world.clock.advance(GRACE + 1);

      expect(await reconcile.execute(GRACE, undefined, true)).toEqual([expect.objectContaining({ pipelineBusy: false, requeued: 1 })]);
    });
  });

  it('reports items sold in PostgreSQL that the ledger does not count as sold', async () => {
    const order = await buy('alice', 1);
    await delivered(order);
    // Written orders say items 4 and 5 sold; the ledger still has them in stock.
    await world.orders.saveBatch([anOrder(sale, { items: [itemOf(sale, 4), itemOf(sale, 5)] })]);

    const [report] = await reconcile.execute();

    expect(report!.soldOnlyInPostgres.sort()).toEqual([itemOf(sale, 4), itemOf(sale, 5)]);
    expect(world.metrics.soldOnlyInPostgresReports).toEqual([{ saleId: sale.id, items: 2 }]);
  });

  it('reports an item PostgreSQL sold that the ledger does not hold at all', async () => {
    world.ledger.forget(sale.id);
    await world.ledger.load(sale, [{ id: itemOf(sale, 1), unitsLeft: 1 }], [], 0);
    await world.orders.saveBatch([anOrder(sale, { items: [itemOf(sale, 2)] })]);

    expect((await reconcile.execute())[0]!.soldOnlyInPostgres).toEqual([itemOf(sale, 2)]);
  });

  it('reports nothing when both sides agree, and says so in the metrics', async () => {
    await delivered(await buy('alice', 1, 2));

    expect(await reconcile.execute()).toEqual([
      {
        saleId: sale.id,
        acknowledged: 1,
        requeued: 0,
        pipelineBusy: false,
        replicaUnconfirmed: false,
        deadLettered: 0,
        soldOnlyInPostgres: [],
      },
    ]);
    expect(world.metrics.requeued).toEqual([0]);
    expect(world.metrics.soldOnlyInPostgresReports).toEqual([{ saleId: sale.id, items: 0 }]);
  });

  describe('which sales', () => {
    it('checks the registered sales still within the retention that the ledger holds', async () => {
      const recent = aSaleThatEnded(HOUR);
      const unloaded = aSaleThatEnded(2 * HOUR);
      const tooOld = aSaleThatEnded(25 * HOUR); // retention: 24 h
      await world.live(recent, tooOld);
      world.stored(unloaded);
      world.registry.registerWithoutItems(unloaded);

      const report = await reconcile.execute();

      expect(report.map((r) => r.saleId).sort()).toEqual([sale.id, recent.id].sort());
    });

    it('reconciles the other sales when one fails, then fails the run with that error', async () => {
      const broken = aSaleThatEnded(HOUR);
      await world.live(broken);
      const lost = await buy('bob', 3);
      await world.outbox.acknowledge(sale.id, (await world.outbox.read(sale.id, 1000)).entryIds); // lost on the way
      world.clock.advance(GRACE + 1);
      const isLoaded = world.ledger.isLoaded.bind(world.ledger);
      const away = new Error('shard away');
      world.ledger.isLoaded = (id) => (id === broken.id ? Promise.reject(away) : isLoaded(id));

      // The error itself, so the admin API still tells a dependency away (503) from a bug.
      await expect(reconcile.execute(GRACE, [broken.id, sale.id])).rejects.toBe(away);

      // The open sale, after the broken one, was still reconciled.
      expect(world.queue.enqueued.flatMap((j) => j.orders.map((o) => o.id))).toEqual([lost.id]);
    });

    it('checks only the sales asked for', async () => {
      const other = aSaleThatEnded(HOUR);
      await world.live(other);

      expect((await reconcile.execute(GRACE, [other.id])).map((r) => r.saleId)).toEqual([other.id]);
    });
  });

  describe('the scheduled run', () => {
    it('runs under a lease that outlasts the interval, so the instance that has it keeps it', async () => {
      await reconcile.runScheduled();

      expect(world.lease.acquired).toEqual([{ name: 'reconciler', ttlMs: 65_000 }]);
      expect(world.metrics.requeued).toEqual([0]);
    });

    it('does nothing while another instance holds the lease', async () => {
      await world.lease.anotherInstance().acquire('reconciler', 65_000);

      await reconcile.runScheduled();

      expect(world.metrics.requeued).toEqual([]);
    });
  });
});
