import { Clock } from './clock.port';
import { Lease } from './lease.port';

/**
 * One lease as a loop that runs many times a second holds it: asked of the Lease at most every fifth of its
 * time to live, not on every run. Asking on every run cost each instance, holder or not, a Redis call per run
 * (50 a second for the outbox relay alone). Between two asks a holder goes on with 4/5 of its lease still
 * left; a non-holder asks again at the same pace, so a lease released or expired is taken within a fifth of
 * its time to live. Two holders at once (a lease lost in a failover) cost nothing: the work is idempotent.
 */
export class LeaseKeeper {
  private askedAt = Number.NEGATIVE_INFINITY;
  private held = false;

  constructor(
    private readonly lease: Lease,
    private readonly name: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** Whether this instance holds the lease: from the last answer while it is fresh, else asked again. */
  async holds(): Promise<boolean> {
    const now = this.clock.now().getTime();
    const age = now - this.askedAt;
    // age < 0: the clock stepped back, so the last answer's age is unknown.
    if (age >= 0 && age < this.ttlMs / 5) return this.held;
    this.held = false;
    this.held = await this.lease.acquire(this.name, this.ttlMs);
    this.askedAt = now;
    return this.held;
  }

  /** Hands the lease over now; the next holds() asks again. */
  async release(): Promise<void> {
    this.held = false;
    this.askedAt = Number.NEGATIVE_INFINITY;
    await this.lease.release(this.name);
  }
}
