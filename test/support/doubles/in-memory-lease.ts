import { Clock } from '../../../src/application/shared/clock.port';
import { Lease } from '../../../src/application/shared/lease.port';

/** Who holds which lease until when: share one table between two InMemoryLease to play two instances. */
export type LeaseTable = Map<string, { holder: string; expiresAt: number }>;

/** A time-limited lock shared by instances (scripts/lua/lease-acquire.lua in production). */
export class InMemoryLease implements Lease {
  /** Every successful acquire, with the time to live asked for. */
  readonly acquired: { name: string; ttlMs: number }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly holder = 'this-instance',
    readonly table: LeaseTable = new Map(),
  ) {}

  /** Another instance sharing this one's leases. */
  anotherInstance(holder = 'another-instance'): InMemoryLease {
    return new InMemoryLease(this.clock, holder, this.table);
  }

  async acquire(name: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    const current = this.table.get(name);
    if (current && current.expiresAt > now && current.holder !== this.holder) return false;
    this.table.set(name, { holder: this.holder, expiresAt: now + ttlMs });
    this.acquired.push({ name, ttlMs });
    return true;
  }

  async release(name: string): Promise<void> {
    if (this.table.get(name)?.holder === this.holder) this.table.delete(name);
  }
}
