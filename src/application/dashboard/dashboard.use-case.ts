import { Injectable, Optional } from '@nestjs/common';
import { LineAdminUseCase, LineStatusView } from '../line/line-admin.use-case';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Clock } from '../shared/clock.port';
import { OrderQueue, OrderQueueCounts } from '../order-pipeline/order-queue.port';
import { OrderRepository } from '../order-pipeline/order.repository.port';
import { PurchaseOutbox } from '../order-pipeline/purchase-outbox.port';
import { SaleReadModel, SaleStats } from '../sales/sale-read-model.port';
import { SystemHealth, SystemHealthReport } from '../observability/system-health.port';
import { GetSaleUseCase } from '../sales/get-sale.use-case';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { within } from '../shared/within';
import { SaleView } from '../sales/sale-view';

/** Everything the operator dashboard shows, as of `at`. */
export interface DashboardSnapshot {
  readonly at: string;
  readonly sale: SaleView | null;
  readonly nextSale: SaleView | null;
  readonly itemsRemaining: number;
  readonly salesPerSecond: number;
  readonly checkoutsPerSecond: number;
  readonly purchasesAcknowledged: number;
  readonly ordersWritten: number;
  readonly queue: OrderQueueCounts;
  readonly deadLetters: number;
  readonly outbox: { length: number; oldestAgeMs: number | null };
  readonly rejections: Record<string, number>;
  readonly purchaseFailures: Record<string, number>;
  readonly health: SystemHealthReport;
  /** The open sale's waiting line, when the waiting room is on. */
  readonly line: LineStatusView | null;
  /**
   * True when the sales' live figures could not be read (Redis down): `sale` and `nextSale` are null then, and
   * `health` says why. The snapshot still comes, as this is when an operator looks.
   */
  readonly saleUnavailable: boolean;
  /**
   * Figures that could not be read in time (their dependency down or slow): they stand at zero above, and the
   * page shows them as unknown rather than as a reassuring "0 dead letters" or "in sync".
   */
  readonly unknown: readonly DashboardFigure[];
}

export type DashboardFigure = 'queue' | 'stats' | 'orders' | 'outbox';

/** Snapshots are shared by every dashboard watching this instance: at most one is built per interval. */
const FRESH_MS = 900;
/** Each figure gets this long: a dependency that is down (BullMQ waits for Redis for ever) must not hold the snapshot. */
const FIGURE_BOUND_MS = 1_000;
/**
 * A figure of the snapshot, or `fallback` when its dependency fails or takes over FIGURE_BOUND_MS (then named
 * in `unknown`, when given).
 */
function figure<T>(read: Promise<T>, what: DashboardFigure | 'line', fallback: T, unknown?: DashboardFigure[]): Promise<T> {
  return within(read, FIGURE_BOUND_MS, what).catch(() => {
    if (what !== 'line') unknown?.push(what);
    return fallback;
  });
}
/** Rates are averaged over about this long. */
const RATE_WINDOW_MS = 3_000;

interface Sample {
  readonly at: number;
  readonly saleId: number;
  readonly sold: number;
  readonly checkouts: number;
}

/** Builds the dashboard's picture of the running sale and the machinery behind it. */
@Injectable()
export class DashboardUseCase {
  private samples: Sample[] = [];
  private cached?: { at: number; snapshot: Promise<DashboardSnapshot> };

  constructor(
    private readonly calendar: SaleCalendar,
    private readonly getSale: GetSaleUseCase,
    private readonly ledger: SaleReadModel,
    private readonly orders: OrderRepository,
    private readonly queue: OrderQueue,
    private readonly outbox: PurchaseOutbox,
    private readonly health: SystemHealth,
    private readonly clock: Clock,
    @Optional() private readonly lines?: LineAdminUseCase,
  ) {}

  snapshot(): Promise<DashboardSnapshot> {
    const now = this.clock.now().getTime();
    if (!this.cached || now - this.cached.at >= FRESH_MS) {
      const snapshot = this.build();
      this.cached = { at: now, snapshot };
      snapshot.catch(() => (this.cached = undefined));
    }
    return this.cached.snapshot;
  }

  private async build(): Promise<DashboardSnapshot> {
    const now = this.clock.now();
    const open = this.calendar.openAt(now);
    const next = this.calendar.nextAfter(now);
    const lineOf = async (id: SaleId | undefined) => {
      if (!this.lines?.enabled || id === undefined) return null;
      const r = await figure(this.lines.status(id), 'line', null);
      return r && r.ok ? r.value : null;
    };
    let saleUnavailable = false;
    const unknown: DashboardFigure[] = [];
    const viewOf = async (id: SaleId | undefined) => {
      if (id === undefined) return null;
      const r = await within(this.getSale.byId(id), FIGURE_BOUND_MS, 'sale').catch(() => {
        saleUnavailable = true;
        return null;
      });
      return r && r.ok ? r.value : null;
    };
    const [health, queue, sale, nextSale, line] = await Promise.all([
      this.health.report(),
      figure(this.queue.counts(), 'queue', { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 }, unknown),
      viewOf(open?.id),
      viewOf(next?.id),
      // Before a sale opens its line already fills: show the next sale's line then.
      lineOf((open ?? next)?.id),
    ]);
    const empty: SaleStats = { checkouts: {}, purchaseFailures: {}, purchasesAcknowledged: 0, unitsPurchased: 0 };
    const [stats, ordersWritten, outbox] = sale
      ? await Promise.all([
          figure(this.ledger.stats(open!.id), 'stats', empty, unknown),
          figure(this.orders.countForSale(open!.id), 'orders', 0, unknown),
          figure(this.outbox.lag(open!.id), 'outbox', { length: 0, oldestAgeMs: null }, unknown),
        ])
      : [empty, 0, { length: 0, oldestAgeMs: null }];

    const checkouts = Object.values(stats.checkouts).reduce((a, b) => a + b, 0);
    const rejections = Object.fromEntries(Object.entries(stats.checkouts).filter(([result]) => result !== 'accepted'));
    // Stats that could not be read would count as no checkouts at all: no sample then, rather than a rate that
    // plunges below zero and leaps back.
    const statsKnown = !unknown.includes('stats');
    const rates = this.rates({ at: now.getTime(), saleId: sale?.id ?? 0, sold: sale?.itemsSold ?? 0, checkouts }, statsKnown);
    return {
      at: now.toISOString(),
      sale,
      nextSale,
      itemsRemaining: sale?.itemsRemaining ?? 0,
      salesPerSecond: rates.sold,
      checkoutsPerSecond: rates.checkouts,
      purchasesAcknowledged: stats.purchasesAcknowledged,
      ordersWritten,
      queue,
      deadLetters: queue.failed,
      outbox,
      rejections,
      purchaseFailures: stats.purchaseFailures,
      health,
      line,
      saleUnavailable,
      unknown: [...unknown].sort(),
    };
  }

  /** Rates since about RATE_WINDOW_MS ago; a sample whose checkouts are unknown is not kept, and its checkout rate is 0. */
  private rates(sample: Sample, checkoutsKnown = true): { sold: number; checkouts: number } {
    const kept = this.samples.filter((s) => s.saleId === sample.saleId && sample.at - s.at <= RATE_WINDOW_MS * 2);
    this.samples = checkoutsKnown ? [...kept, sample] : kept;
    const base = kept.find((s) => sample.at - s.at <= RATE_WINDOW_MS) ?? kept[0] ?? sample;
    const seconds = (sample.at - base.at) / 1000;
    if (seconds <= 0) return { sold: 0, checkouts: 0 };
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      sold: round((sample.sold - base.sold) / seconds),
      checkouts: checkoutsKnown ? round((sample.checkouts - base.checkouts) / seconds) : 0,
    };
  }
}
