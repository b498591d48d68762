import { DeadLettersUseCase } from '../../../../src/application/orders/dead-letters.use-case';
import { anOrder } from '../../../support/mothers/order.mother';
import { anOpenSale } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('DeadLettersUseCase', () => {
  const sale = anOpenSale();
  let world: World;
  let deadLetters: DeadLettersUseCase;

  beforeEach(() => {
    world = new World();
    deadLetters = new DeadLettersUseCase(world.queue);
  });

  it('lists the jobs that failed every attempt, up to 100 unless told otherwise', async () => {
    for (let i = 0; i < 102; i++) world.queue.addDeadLetter(anOrder(sale), 'check constraint violated');

    expect(await deadLetters.list()).toHaveLength(100);
    expect(await deadLetters.list(2)).toEqual([
      expect.objectContaining({ reason: 'check constraint violated', attempts: 5 }),
      expect.objectContaining({ reason: 'check constraint violated', attempts: 5 }),
    ]);
  });

  it('queues all of them again', async () => {
    const orders = [anOrder(sale), anOrder(sale)];
    for (const o of orders) world.queue.addDeadLetter(o, 'bad');

    expect(await deadLetters.retry()).toBe(2);
    expect(await deadLetters.list()).toEqual([]);
    expect(world.queue.waiting().flatMap((j) => j.orders)).toEqual(orders);
  });

  it('queues again only the ones named', async () => {
    const [first, second] = [anOrder(sale), anOrder(sale)];
    const letter = world.queue.addDeadLetter(first, 'bad');
    world.queue.addDeadLetter(second, 'bad');

    expect(await deadLetters.retry([letter.jobId, 'no-such-job'])).toBe(1);
    expect((await deadLetters.list()).map((d) => d.orderIds)).toEqual([[second.id]]);
  });
});
