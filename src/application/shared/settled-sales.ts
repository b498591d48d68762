import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';

/**
 * Which ended sales a reader of per-sale streams (the outbox relay, the attempts writer) may pass over.
 * Nothing is added to a sale's streams once it is over: its scripts refuse on Redis's clock. So a sale read
 * empty `settleMs` after its end (room for this instance's clock to differ from Redis's) stays empty.
 * Reading every sale of the retention period on every run cost Redis a call per sale each time: with the
 * default hourly sales, 25 sales and about 1,200 calls a second for an idle relay. Once every `sweepMs` a
 * run reads every sale anyway, for whatever came against that rule (a clock further off, a failover).
 */
export class SettledSales {
  /** Each settled sale, with the end it had then: a sale given a later end is read again. */
  private readonly settled = new Map<SaleId, number>();
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settleMs = 10_000,
    private readonly sweepMs = 30_000,
  ) {}

  /** The sales a run should read at `now`: every one on a sweep, else those not settled. */
  toRead(sales: readonly Sale[], now: Date): readonly Sale[] {
    const t = now.getTime();
    const sinceSweep = t - this.sweptAt;
    if (sinceSweep < 0 || sinceSweep >= this.sweepMs) {
      this.sweptAt = t;
      // Sales gone from the calendar (past retention) are never asked about again.
      for (const id of this.settled.keys()) if (!sales.some((s) => s.id === id)) this.settled.delete(id);
      return sales;
    }
    return sales.filter((s) => this.settled.get(s.id) !== s.endsAt.getTime());
  }

  /** What a read begun at `readAt` found: a sale read empty long enough after its end is settled. */
  found(sale: Sale, empty: boolean, readAt: Date): void {
    if (!empty) this.settled.delete(sale.id);
    else if (readAt.getTime() >= sale.endsAt.getTime() + this.settleMs) this.settled.set(sale.id, sale.endsAt.getTime());
  }
}
