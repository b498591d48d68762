import { QueueStatusUseCase } from '../../../../src/application/orders/queue-status.use-case';
import { anOrder } from '../../../support/mothers/order.mother';
import { anOpenSale } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('QueueStatusUseCase', () => {
  it('counts the queue’s jobs by state', async () => {
    const world = new World();
    const sale = anOpenSale();
    await world.queue.enqueue('a', [anOrder(sale)]);
    await world.queue.enqueue('b', [anOrder(sale)]);
    await world.queue.enqueue('c', [anOrder(sale)]);
    world.queue.take();
    await world.queue.park(anOrder(sale));
    world.queue.addDeadLetter(anOrder(sale), 'bad');

    expect(await new QueueStatusUseCase(world.queue).execute()).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 1, completed: 3 });
  });
});
