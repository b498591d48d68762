import { CheckReadinessUseCase } from '../../../../src/application/observability/check-readiness.use-case';
import { ProcessLifecycle } from '../../../../src/application/observability/process-lifecycle';
import { FakeOrderBatchConsumer, FakeSystemHealth } from '../../../support/doubles/process-doubles';
import { anOpenSale } from '../../../support/mothers/sale.mother';
import { World } from '../../../support/world';

describe('CheckReadinessUseCase', () => {
  let health: FakeSystemHealth;
  let lifecycle: ProcessLifecycle;

  beforeEach(() => {
    health = new FakeSystemHealth();
    lifecycle = new ProcessLifecycle();
  });

  const readiness = (worker: FakeOrderBatchConsumer, world = new World()) =>
    new CheckReadinessUseCase(health, lifecycle, worker, world.calendar, world.clock).execute();

  it('is ready when every dependency is up', async () => {
    expect(await readiness(new FakeOrderBatchConsumer('running'))).toEqual({ ready: true, down: [], checks: health.checks });
  });

  it('lists what is down', async () => {
    health.checks = { redis: { status: 'down', message: 'ECONNREFUSED' }, postgres: { status: 'up' }, queue: { status: 'down' } };

    expect(await readiness(new FakeOrderBatchConsumer('running'))).toEqual({
      ready: false,
      down: ['redis', 'queue'],
      checks: health.checks,
    });
  });

  it('turns not ready first thing when the process begins shutting down, and says so first', async () => {
    health.checks = { redis: { status: 'down' }, postgres: { status: 'up' } };
    lifecycle.beginShutdown();

    expect(await readiness(new FakeOrderBatchConsumer('running'))).toEqual(
      expect.objectContaining({ ready: false, down: ['shutting down', 'redis'] }),
    );
  });

  it('tells the health check about this process’s worker: running, stopped, or none at all', async () => {
    await readiness(new FakeOrderBatchConsumer('running'));
    await readiness(new FakeOrderBatchConsumer('stopped'));
    await readiness(new FakeOrderBatchConsumer('off'));

    expect(health.askedWithWorker).toEqual([true, false, null]);
  });

  it('asks about the open sale, so Redis can report the primary that holds it and its replicas', async () => {
    const world = new World();
    const sale = anOpenSale();
    await world.live(sale);

    await readiness(new FakeOrderBatchConsumer('running'), world);
    await readiness(new FakeOrderBatchConsumer('running'));

    expect(health.askedForSale).toEqual([sale.id, null]);
  });
});
