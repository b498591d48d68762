/**
 * A time-limited lock shared by every instance, for background work that should run in one place at a
 * time (the outbox relay, the attempts writer). Losing it is harmless: that work is idempotent.
 */
export abstract class Lease {
  /** Takes the lease or extends it when this instance holds it. */
  abstract acquire(name: string, ttlMs: number): Promise<boolean>;
  abstract release(name: string): Promise<void>;
}
