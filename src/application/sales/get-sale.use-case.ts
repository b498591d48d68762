import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Sale } from '../../domain/sale/sale.entity';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { SaleLiveState, SaleReadModel } from './sale-read-model.port';
import { SaleRepository } from './sale.repository.port';
import { SaleCalendar } from './sale-calendar.service';
import { SaleView } from './sale-view';

/**
 * How old the live counters of a public sale page may be (GET /sales/active, /sales/:id, /sales/:id/items):
 * one ledger read per sale and period serves every buyer's page meanwhile. Changes made through this
 * instance show at once; other instances' within this bound.
 */
export const PUBLIC_READ_MAX_AGE_MS = 100;

/** A sale with its live counters: from the ledger while it is loaded, from PostgreSQL afterwards. */
@Injectable()
export class GetSaleUseCase {
  /**
   * The view made from a recent ledger answer, per answer object: while the answer is the same recent one
   * (≤ maxAgeMs, dropped at once by this instance's own writes) every caller gets the same view, whose JSON the
   * door then makes once. Made again when the sale's status moves with the clock (it opens or ends meanwhile).
   */
  private readonly views = new WeakMap<SaleLiveState, { readonly sale: Sale; readonly view: SaleView }>();

  constructor(
    private readonly calendar: SaleCalendar,
    private readonly ledger: SaleReadModel,
    private readonly sales: SaleRepository,
    private readonly clock: Clock,
  ) {}

  /** `maxAgeMs`: how old the live counters may be (0, the default: read now). */
  async active(maxAgeMs = 0): Promise<Result<SaleView, Rejection>> {
    const now = this.clock.now();
    const sale = this.calendar.openAt(now);
    if (!sale) {
      const next = this.calendar.nextAfter(now);
      return err(reject(RejectionCode.NoActiveSale, 'No sale is running right now.', next?.window.secondsUntilStart(now)));
    }
    return ok(await this.view(sale, now, maxAgeMs));
  }

  /** The open sale and those scheduled after it, by start time (for countdowns). */
  async upcoming(): Promise<SaleView[]> {
    const now = this.clock.now();
    const sales = this.calendar.all().filter((s) => s.endsAt.getTime() > now.getTime());
    return Promise.all(sales.map((s) => this.view(s, now)));
  }

  async byId(id: SaleId, maxAgeMs = 0): Promise<Result<SaleView, Rejection>> {
    const sale = this.calendar.find(id) ?? (await this.sales.findById(id));
    if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${id}.`));
    return ok(await this.view(sale, this.clock.now(), maxAgeMs));
  }

  /** A sale the ledger does not hold (ended and gone, or lost until it is loaded again): as PostgreSQL has it. */
  private async recorded(sale: Sale): Promise<{ sold: number; paused: boolean }> {
    const [sold, paused] = await Promise.all([this.sales.soldUnits(sale.id), this.sales.pausedAmong([sale.id])]);
    return { sold, paused: paused.has(sale.id) };
  }

  private async view(sale: Sale, now: Date, maxAgeMs = 0): Promise<SaleView> {
    const answer = await this.ledger.liveState(sale.id, maxAgeMs);
    const live = answer ?? (await this.recorded(sale));
    const status = sale.statusAt(now, live);
    const kept = answer && this.views.get(answer);
    if (kept && kept.sale === sale && kept.view.status === status) return kept.view;
    const view: SaleView = {
      id: sale.id,
      startsAt: sale.startsAt.toISOString(),
      endsAt: sale.endsAt.toISOString(),
      status,
      itemsTotal: sale.terms.itemsTotal,
      itemsSold: live.sold,
      itemsRemaining: Math.max(0, sale.unitsOnSale - live.sold),
      perUserLimit: sale.terms.perUserLimit,
      saleCap: sale.terms.saleCap,
      onePurchasePerUser: sale.terms.onePurchasePerUser,
    };
    if (answer) this.views.set(answer, { sale, view });
    return view;
  }
}
