import { Injectable } from '@nestjs/common';
import { LineCloseReason } from '../../domain/line/line-place';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err, ok } from '../../domain/shared/result';
import { LineSales } from './line-sales.service';
import { LineSale, LineStatus } from './waiting-line.port';
import { WaitingLine } from './waiting-line.port';
import { WaitingRoomSettings } from './waiting-room-settings';

export interface LineStatusView {
  readonly saleId: number;
  readonly waiting: number;
  readonly admitted: number;
  readonly ratePerSecond: number;
  readonly closed: LineCloseReason | null;
  readonly admittedTotal: number;
  /** Median time from joining to admission over the latest 1,000 admissions; null before any. */
  readonly medianWaitSeconds: number | null;
}

export const MAX_LINE_RATE = 100_000;

/** The operator's doors onto a line: line:status, line:rate, line:close (CLI and admin API). */
@Injectable()
export class LineAdminUseCase {
  constructor(
    private readonly line: WaitingLine,
    private readonly sales: LineSales,
    private readonly settings: WaitingRoomSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  status(saleId: SaleId): Promise<Result<LineStatusView, Rejection>> {
    return this.withSale(saleId, async (sale) => view(sale, await this.line.status(sale, this.settings.admitPerSecond)));
  }

  setRate(saleId: SaleId, perSecond: number): Promise<Result<LineStatusView, Rejection>> {
    if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > MAX_LINE_RATE) {
      return Promise.resolve(err(reject(RejectionCode.InvalidRequest, `The rate must be a whole number from 1 to ${MAX_LINE_RATE}.`)));
    }
    return this.withSale(saleId, async (sale) => view(sale, await this.line.status(sale, this.settings.admitPerSecond, perSecond)));
  }

  close(saleId: SaleId): Promise<Result<LineStatusView, Rejection>> {
    return this.withSale(saleId, async (sale) => {
      await this.line.close(sale, 'closed');
      return view(sale, await this.line.status(sale, this.settings.admitPerSecond));
    });
  }

  private async withSale(saleId: SaleId, fn: (sale: LineSale) => Promise<LineStatusView>): Promise<Result<LineStatusView, Rejection>> {
    const sale = await this.sales.find(saleId);
    if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${saleId}.`));
    return ok(await fn(sale));
  }
}

function view(sale: LineSale, s: LineStatus): LineStatusView {
  const waits = [...s.recentWaitsMs].sort((a, b) => a - b);
  const mid = waits.length / 2;
  const median = waits.length === 0 ? null : waits.length % 2 ? waits[Math.floor(mid)]! : (waits[mid - 1]! + waits[mid]!) / 2;
  return {
    saleId: sale.id,
    waiting: s.waiting,
    admitted: s.admitted,
    ratePerSecond: s.ratePerSecond,
    closed: s.closed,
    admittedTotal: s.admittedTotal,
    medianWaitSeconds: median === null ? null : Math.round(median / 100) / 10,
  };
}
