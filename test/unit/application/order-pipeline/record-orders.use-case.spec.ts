import { OrderPipelineSettings } from '../../../../src/application/order-pipeline/order-pipeline-settings';
import { OrderStoreUnavailableError, OrdersRejectedError } from '../../../../src/application/order-pipeline/order.repository.port';
import { RecordOrdersUseCase } from '../../../../src/application/order-pipeline/record-orders.use-case';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { FakeOrderBatchConsumer } from '../../../support/doubles/process-doubles';
import { anOrder } from '../../../support/mothers/order.mother';
import { anOpenSale, itemOf } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

const settings = (workerEnabled: boolean) => new OrderPipelineSettings(100, workerEnabled, 4, 5, 100);

describe('RecordOrdersUseCase', () => {
  let world: World;
  let consumer: FakeOrderBatchConsumer;
  let record: RecordOrdersUseCase;
  let sale: Sale;

  beforeEach(() => {
    world = new World();
    consumer = new FakeOrderBatchConsumer();
    record = new RecordOrdersUseCase(world.orders, world.queue, consumer, settings(true));
    sale = anOpenSale();
    world.stored(sale);
  });

  const ordersOf = (...items: number[]) => items.map((n) => anOrder(sale, { items: [itemOf(sale, n)] }));

  describe('execute(): a batch from the outbox', () => {
    it('writes the batch in one go', async () => {
      const batch = ordersOf(1, 2, 3);

      expect(await record.execute(batch)).toEqual({ written: 3, parked: 0 });
      expect(world.orders.written()).toEqual(batch);
      expect(world.orders.batchSizes).toEqual([3]);
    });

    it('is idempotent: a batch written before writes nothing again', async () => {
      const batch = ordersOf(1, 2);
      await record.execute(batch);

      expect(await record.execute(batch)).toEqual({ written: 0, parked: 0 });
      expect(world.orders.written()).toHaveLength(2);
    });

    it('retries a refused batch order by order: the good ones are written, the refused one is parked alone', async () => {
      const [a, bad, c] = ordersOf(1, 2, 3);
      world.orders.refuse(bad!.id);

      expect(await record.execute([a!, bad!, c!])).toEqual({ written: 2, parked: 1 });
      expect(world.orders.written()).toEqual([a, c]);
      expect(world.orders.batchSizes).toEqual([3, 1, 1, 1]);
      expect(world.queue.parked).toEqual([bad]);
    });

    it('parks a refused order that came in a batch of one too', async () => {
      const [bad] = ordersOf(1);
      world.orders.refuse(bad!.id);

      expect(await record.execute([bad!])).toEqual({ written: 0, parked: 1 });
      expect(world.queue.parked).toEqual([bad]);
    });

    it('parks an order that sells a unit already in another order (never sell twice)', async () => {
      const [first] = ordersOf(1);
      const twice = anOrder(sale, { items: [itemOf(sale, 1)] });
      await record.execute([first!]);

      expect(await record.execute([twice, ...ordersOf(2)])).toEqual({ written: 1, parked: 1 });
      expect(world.queue.parked).toEqual([twice]);
    });

    it('lets an unreachable database propagate, parking nothing: the job waits and tries again', async () => {
      world.orders.goDown();

      await expect(record.execute(ordersOf(1, 2))).rejects.toBeInstanceOf(OrderStoreUnavailableError);
      expect(world.queue.parked).toEqual([]);
    });

    it('lets the database going away during the order-by-order retry propagate too', async () => {
      const [a, bad] = ordersOf(1, 2);
      world.orders.refuse(bad!.id);
      const save = world.orders.saveBatch.bind(world.orders);
      world.orders.saveBatch = async (orders) => {
        if (orders.length === 1) world.orders.goDown();
        return save(orders);
      };

      await expect(record.execute([a!, bad!])).rejects.toBeInstanceOf(OrderStoreUnavailableError);
      expect(world.queue.parked).toEqual([]);
    });
  });

  describe('retryParked(): an order refused before, tried alone', () => {
    it('writes it once the cause is gone', async () => {
      const [order] = ordersOf(1);

      expect(await record.retryParked([order!])).toEqual({ written: 1, parked: 0 });
    });

    it('throws a refusal, so the queue counts the attempt (and dead-letters it after the last)', async () => {
      const [order] = ordersOf(1);
      world.orders.refuse(order!.id);

      await expect(record.retryParked([order!])).rejects.toBeInstanceOf(OrdersRejectedError);
      expect(world.queue.parked).toEqual([]);
    });
  });

  describe('the worker', () => {
    it('starts consuming the queue, batches to execute() and parked orders to retryParked()', async () => {
      record.startWorker();
      const [a, bad] = ordersOf(1, 2);
      world.orders.refuse(bad!.id);

      expect(consumer.state).toBe('running');
      expect(await consumer.handlers!.batch([a!, bad!])).toEqual({ written: 1, parked: 1 });
      await expect(consumer.handlers!.parked([bad!])).rejects.toBeInstanceOf(OrdersRejectedError);
    });

    it('stops', async () => {
      record.startWorker();
      await record.stopWorker();

      expect(consumer.state).toBe('stopped');
    });

    it('never starts in a process that runs no worker', async () => {
      const off = new FakeOrderBatchConsumer('off');
      const noWorker = new RecordOrdersUseCase(world.orders, world.queue, off, settings(false));

      noWorker.startWorker();
      await noWorker.stopWorker();

      expect(off.handlers).toBeNull();
      expect(off.state).toBe('off');
    });
  });
});
