import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

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
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly marginMs = 10_000,
    private readonly sweepMs = 30_000,
  ) {}

  /** The sales a run should read at `now`: every one on a sweep, else those open or ended but not settled. */
  toRead(sales: readonly Sale[], now: Date): readonly Sale[] {
    const t = now.getTime();
    const sinceSweep = t - this.sweptAt;
    if (sinceSweep < 0 || sinceSweep >= this.sweepMs) {
      this.sweptAt = t;
      // Sales gone from the calendar (past retention) are never asked about again.
      for (const id of this.settled.keys()) if (!sales.some((s) => s.id === id)) this.settled.delete(id);
      return sales;
    }
    return sales.filter((s) => s.startsAt.getTime() - this.marginMs <= t && this.settled.get(s.id) !== s.endsAt.getTime());
  }

  /**
   * One run of a reader: each sale to read at `now`, one after another, with `read` (how many entries it
   * found and took); returns the total. A sale whose read fails does not stop the others (one sale's shard
   * without a replica must not hold back another sale's orders): it is read again on every run until a read
   * succeeds, and the run then fails with its first error, for the caller to log and back off.
   */
  async readEach(sales: readonly Sale[], now: Date, read: (sale: Sale) => Promise<number>): Promise<number> {
    let total = 0;
    let failure: { error: unknown } | null = null;
    for (const sale of this.toRead(sales, now)) {
      let n: number;
      try {
        n = await read(sale);
      } catch (error) {
        this.settled.delete(sale.id);
        failure ??= { error };
        continue;
      }
      this.found(sale, n === 0, now);
      total += n;
    }
    if (failure) throw failure.error;
    return total;
  }

  /** What a read begun at `readAt` found: a sale read empty long enough after its end is settled. */
  found(sale: Sale, empty: boolean, readAt: Date): void {
    if (!empty) this.settled.delete(sale.id);
    else if (readAt.getTime() >= sale.endsAt.getTime() + this.marginMs) this.settled.set(sale.id, sale.endsAt.getTime());
  }
}
