import { LeaseKeeper } from '../../../../src/application/shared/lease-keeper';
import { Lease } from '../../../../src/application/shared/lease.port';
import { FixedClock } from '../../../support/doubles/fixed-clock';
import { InMemoryLease } from '../../../support/doubles/in-memory-lease';

describe('LeaseKeeper', () => {
  const TTL = 5_000;
  let clock: FixedClock;
  let lease: InMemoryLease;
  let keeper: LeaseKeeper;

  beforeEach(() => {
    clock = new FixedClock();
    lease = new InMemoryLease(clock);
    keeper = new LeaseKeeper(lease, 'relay', TTL, clock);
  });

  it('asks for the lease once per fifth of its time to live, however often the loop runs', async () => {
    for (let i = 0; i < 50; i++) expect(await keeper.holds()).toBe(true);
    clock.advance(TTL / 5 - 1);
    expect(await keeper.holds()).toBe(true);
    expect(lease.acquired).toEqual([{ name: 'relay', ttlMs: TTL }]);

    clock.advance(1);
    expect(await keeper.holds()).toBe(true);
    expect(lease.acquired).toHaveLength(2);
  });

  it('renews a held lease well before it expires, so no other instance can take it meanwhile', async () => {
    const other = lease.anotherInstance();
    for (let t = 0; t < 4 * TTL; t += 100) {
      expect(await keeper.holds()).toBe(true);
      expect(await other.acquire('relay', TTL)).toBe(false);
      clock.advance(100);
    }
  });

  it('while another instance holds it, asks again at the same pace and takes it once it is free', async () => {
    const other = lease.anotherInstance();
    await other.acquire('relay', TTL);
    expect(await keeper.holds()).toBe(false);

    await other.release('relay');
    expect(await keeper.holds()).toBe(false);
    clock.advance(TTL / 5);
    expect(await keeper.holds()).toBe(true);
  });

  it('asks again on the next run after an ask that failed', async () => {
    let failing = true;
    const flaky: Lease = {
      acquire: async (name, ttl) => {
        if (failing) throw new Error('Redis unreachable');
        return lease.acquire(name, ttl);
      },
      release: (name) => lease.release(name),
    };
    keeper = new LeaseKeeper(flaky, 'relay', TTL, clock);

    await expect(keeper.holds()).rejects.toThrow('Redis unreachable');
    failing = false;
    expect(await keeper.holds()).toBe(true);
  });

  it('hands the lease over when released, and asks again before working after that', async () => {
    await keeper.holds();
    await keeper.release();
    expect(await lease.anotherInstance().acquire('relay', TTL)).toBe(true);

    expect(await keeper.holds()).toBe(false);
  });

  it('asks again when the clock steps back: the last answer’s age is unknown', async () => {
    await keeper.holds();
    clock.advance(-60_000);
    await keeper.holds();
    expect(lease.acquired).toHaveLength(2);
  });
});
