import { OrderPipelineSettings } from '../../../../src/application/order-pipeline/order-pipeline-settings';
import { RelayPurchasesUseCase } from '../../../../src/application/order-pipeline/relay-purchases.use-case';
import { Sale } from '../../../../src/domain/sale/sale.entity';
import { anOrder } from '../../../support/mothers/order.mother';
import { HOUR, SECOND, aSaleOpeningIn, aSaleThatEnded, anOpenSale } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('RelayPurchasesUseCase', () => {
  const settings = new OrderPipelineSettings(2, true, 1, 5, 100, 3, 20, 5_000);
  let world: World;
  let relay: RelayPurchasesUseCase;
  let sale: Sale;

  beforeEach(async () => {
    world = new World();
    relay = new RelayPurchasesUseCase(world.outbox, world.queue, world.calendar, world.lease, settings, world.replicas, world.clock);
    sale = anOpenSale();
    await world.live(sale);
  });

  const acknowledge = (s: Sale, n: number) => {
    const orders = Array.from({ length: n }, () => anOrder(s));
    for (const o of orders) world.outbox.append(o);
    return orders;
  };

  describe('execute()', () => {
    it('moves the outbox into the queue in batches, oldest first, and empties it', async () => {
      const orders = acknowledge(sale, 5);

      expect(await relay.execute(sale.id, 2, 10)).toBe(5);

      expect(world.queue.enqueued.map((b) => b.orders)).toEqual([orders.slice(0, 2), orders.slice(2, 4), orders.slice(4)]);
      expect(await world.outbox.length(sale.id)).toBe(0);
    });

    it('names each batch after the sale, its first entry and its size, so queuing it again is a no-op', async () => {
      acknowledge(sale, 3);
      const [first] = (await world.outbox.read(sale.id, 1)).entryIds;

      await relay.execute(sale.id, 3, 1);

      expect(world.queue.enqueued.map((b) => b.key)).toEqual([`${sale.id}-${first}-3`]);
    });

    it('moves at most maxBatches batches per call, leaving the rest for the next run', async () => {
      const orders = acknowledge(sale, 7);

      expect(await relay.execute(sale.id, 2, 2)).toBe(4);
      expect(world.outbox.orders(sale.id)).toEqual(orders.slice(4));
    });

    it('stops after a batch that was not full: nothing more was waiting', async () => {
      acknowledge(sale, 3);
      const reads: number[] = [];
      const read = world.outbox.read.bind(world.outbox);
      world.outbox.read = async (id, max) => {
        const batch = await read(id, max);
        reads.push(batch.orders.length);
        return batch;
      };

      await relay.execute(sale.id, 2, 10);

      expect(reads).toEqual([2, 1]);
    });

    it('does nothing with an empty outbox', async () => {
      expect(await relay.execute(sale.id, 2, 10)).toBe(0);
      expect(world.queue.enqueued).toEqual([]);
    });

    it('leaves the outbox untouched when queuing fails: the orders are relayed on a later run', async () => {
      const orders = acknowledge(sale, 3);
      world.queue.goDown();

      await expect(relay.execute(sale.id, 2, 10)).rejects.toThrow('queue unreachable');
      expect(world.outbox.orders(sale.id)).toEqual(orders);

      world.queue.comeBack();
      expect(await relay.execute(sale.id, 2, 10)).toBe(3);
      expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual(orders);
    });

    it('relays nothing a replica does not hold: after a failover PostgreSQL must have no order Redis forgot', async () => {
      const orders = acknowledge(sale, 3);
      world.replicas.confirming = false;

      await expect(relay.execute(sale.id, 2, 10)).rejects.toThrow('no replica confirmed');
      expect(world.queue.enqueued).toEqual([]);
      expect(world.outbox.orders(sale.id)).toEqual(orders);

      world.replicas.confirming = true;
      expect(await relay.execute(sale.id, 2, 10)).toBe(3);
    });

    it('drops a batch from the outbox only once it is queued', async () => {
      acknowledge(sale, 2);
      const lengthsSeenWhenQueued: number[] = [];
      const enqueue = world.queue.enqueue.bind(world.queue);
      world.queue.enqueue = async (key, orders) => {
        lengthsSeenWhenQueued.push(await world.outbox.length(sale.id));
        await enqueue(key, orders);
      };

      await relay.execute(sale.id, 1, 10);

      expect(lengthsSeenWhenQueued).toEqual([2, 1]);
    });
  });

  describe('runOnce()', () => {
    it('relays every sale this instance knows of, with the configured batch size and limit', async () => {
      const next = aSaleOpeningIn(HOUR);
      await world.live(next);
      acknowledge(sale, 7);
      acknowledge(next, 1);

      // batchSize 2, 3 batches a run: 6 of the first sale's 7, and the other sale's one.
      expect(await relay.runOnce()).toBe(7);
      expect(await world.outbox.length(sale.id)).toBe(1);
      expect(await world.outbox.length(next.id)).toBe(0);
    });

    it('passes over an ended sale once it has relayed it to the end, but reads it again on a sweep', async () => {
      const ended = aSaleThatEnded(HOUR);
      await world.live(ended);
      const late = acknowledge(ended, 1); // e.g. bought just before the end, not relayed yet
      const reads: number[] = [];
      const read = world.outbox.read.bind(world.outbox);
      world.outbox.read = async (id, max) => {
        reads.push(id);
        return read(id, max);
      };

      await relay.runOnce(); // relays the late order
      await relay.runOnce(); // reads the ended sale empty: settled
      await relay.runOnce();
      expect(reads.filter((id) => id === ended.id)).toHaveLength(2);
      expect(reads.filter((id) => id === sale.id)).toHaveLength(3);
      expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual(late);

      // Anything found there later (a clock far off, a failover) moves on the next sweep.
      const afterFailover = acknowledge(ended, 1);
      world.clock.advance(30 * SECOND);
      expect(await relay.runOnce()).toBe(1);
      expect(world.queue.enqueued.flatMap((b) => b.orders)).toEqual([...late, ...afterFailover]);
    });

    it('does nothing while another instance holds the relay lease', async () => {
      acknowledge(sale, 2);
      await world.lease.anotherInstance().acquire('outbox-relay', 5_000);

      expect(await relay.runOnce()).toBe(0);
      expect(world.queue.enqueued).toEqual([]);
    });

    it('takes the lease for the configured time, and hands it over when released', async () => {
      await relay.runOnce();
      expect(world.lease.acquired).toEqual([{ name: 'outbox-relay', ttlMs: 5_000 }]);

      const other = world.lease.anotherInstance();
      expect(await other.acquire('outbox-relay', 5_000)).toBe(false);
      await relay.releaseLease();
      expect(await other.acquire('outbox-relay', 5_000)).toBe(true);
    });
  });
});
