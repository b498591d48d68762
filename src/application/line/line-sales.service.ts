import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { SaleCalendar } from '../sales/sale-calendar.service';
import { SaleRepository } from '../sales/sale.repository.port';
import { LineSale, lineSaleOf } from './waiting-line.port';
import { WaitingRoomSettings } from './waiting-room-settings';

/** Finds the sale a line belongs to: from this instance's calendar, or the database for others. */
@Injectable()
export class LineSales {
  constructor(
    private readonly calendar: SaleCalendar,
    private readonly sales: SaleRepository,
    private readonly settings: WaitingRoomSettings,
  ) {}

  async find(saleId: SaleId): Promise<LineSale | null> {
    const sale = this.calendar.find(saleId) ?? (await this.sales.findById(saleId));
    return sale ? lineSaleOf(sale, this.settings.opensBeforeMs, this.settings.retentionMs) : null;
  }

  /** The sales whose lines need admitting or closing now: started, and ended at most a few seconds ago. */
  running(now: Date): LineSale[] {
    return this.calendar
      .all()
      .filter((s) => s.startsAt.getTime() <= now.getTime() && now.getTime() < s.endsAt.getTime() + 5_000)
      .map((s) => lineSaleOf(s, this.settings.opensBeforeMs, this.settings.retentionMs));
  }
}
