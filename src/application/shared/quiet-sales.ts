import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

/** The longest pause before a sale whose reads fail is read again. */
const MAX_RETRY_PAUSE_MS = 5_000;
/** A sale still failing is reported again every this many failed reads (at 5 s apart, every 5 minutes). */
const REPORT_EVERY_FAILURES = 60;

/**
 * Which sales a reader of per-sale streams (the outbox relay, the attempts writer) may pass over: those whose
 * streams cannot be growing. A sale's scripts write only while it is open on Redis's clock, so nothing is in
 * its streams more than `marginMs` before its start (room for this instance's clock to differ from Redis's),
 * and a sale read empty `marginMs` after its end stays empty (it is settled). Reading every sale of the
 * retention period on every run cost Redis a call per sale each time: with the default hourly sales, 26 sales
 * and about 1,300 calls a second for an idle relay. Once every `sweepMs` a run reads every sale anyway, for
 * whatever came against that rule (a clock further off, a failover).
 */
export class QuietSales {
  /** Each settled sale, with the end it had then: a sale given a later end is read again. */
  private readonly settled = new Map<SaleId, number>();
  /** Sales whose last reads failed: not read again before `retryAt`. */
  private readonly failing = new Map<SaleId, { retryAt: number; failures: number }>();
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly marginMs = 10_000,
    private readonly sweepMs = 30_000,
    /**
     * Told of a sale's failed reads (the run goes on: see readEach): the first of a streak, then every
     * REPORT_EVERY_FAILURES; and, with `error` null, of the read that ends the streak.
     */
    private readonly report: (sale: Sale, error: unknown, failures: number) => void = () => undefined,
  ) {}

  /** The sales a run should read at `now`: every one on a sweep, else those open or ended but not settled. */
  toRead(sales: readonly Sale[], now: Date): readonly Sale[] {
    const t = now.getTime();
    const sinceSweep = t - this.sweptAt;
    if (sinceSweep < 0 || sinceSweep >= this.sweepMs) {
      this.sweptAt = t;
      // Sales gone from the calendar (past retention) are never asked about again.
      for (const known of [this.settled, this.failing])
        for (const id of known.keys()) if (!sales.some((s) => s.id === id)) known.delete(id);
      return sales;
    }
    return sales.filter((s) => s.startsAt.getTime() - this.marginMs <= t && this.settled.get(s.id) !== s.endsAt.getTime());
  }

  /**
   * One run of a reader: each sale to read at `now`, one after another, with `read` (how many entries it
   * found and took); returns the total. A sale whose read fails does not hold back the others (one sale's
   * shard without a replica must not hold back another sale's orders), neither in this run nor by slowing the
   * runs down: it is read again after a pause of its own, growing from 100 ms to 5 s, until a read succeeds.
   * The run fails (for the caller to log and back off) only when every read it made failed.
   */
  async readEach(sales: readonly Sale[], now: Date, read: (sale: Sale) => Promise<number>): Promise<number> {
    const t = now.getTime();
    let total = 0;
    let succeeded = 0;
    let failure: { error: unknown } | null = null;
    for (const sale of this.toRead(sales, now)) {
      const failing = this.failing.get(sale.id);
      if (failing && failing.retryAt > t) continue;
      let n: number;
      try {
        n = await read(sale);
      } catch (error) {
        this.settled.delete(sale.id);
        const failures = (failing?.failures ?? 0) + 1;
        this.failing.set(sale.id, { retryAt: t + Math.min(MAX_RETRY_PAUSE_MS, 50 * 2 ** Math.min(failures, 7)), failures });
        if (failures === 1 || failures % REPORT_EVERY_FAILURES === 0) this.report(sale, error, failures);
        failure ??= { error };
        continue;
      }
      if (failing) {
        this.failing.delete(sale.id);
        this.report(sale, null, failing.failures);
      }
      succeeded++;
      this.found(sale, n === 0, now);
      total += n;
    }
    if (failure && succeeded === 0) throw failure.error;
    return total;
  }

  /** What a read begun at `readAt` found: a sale read empty long enough after its end is settled. */
  found(sale: Sale, empty: boolean, readAt: Date): void {
    if (!empty) this.settled.delete(sale.id);
    else if (readAt.getTime() >= sale.endsAt.getTime() + this.marginMs) this.settled.set(sale.id, sale.endsAt.getTime());
  }
}
