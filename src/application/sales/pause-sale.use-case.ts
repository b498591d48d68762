import { Injectable } from '@nestjs/common';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection, RejectionCode, reject } from '../../domain/shared/rejection';
import { Result, err } from '../../domain/shared/result';
import { Clock } from '../shared/clock.port';
import { SalePauseSwitch } from './sale-pause-switch.port';
import { SaleRepository } from './sale.repository.port';
import { GetSaleUseCase } from './get-sale.use-case';
import { SaleCalendar } from './sale-calendar.service';
import { SaleLoader } from './sale-loader.service';
import { SaleView } from './sale-view';

/**
 * Pauses or resumes a sale. The flag lives in the ledger and the checkout and purchase scripts read it, so
 * the switch is atomic with the hot path: every request sees the sale either paused or not. It is recorded in
 * PostgreSQL first, so a sale loaded again from there (after Redis lost its keys) comes back as the operator
 * left it, and a switch that fails half way is put right by asking again.
 */
@Injectable()
export class PauseSaleUseCase {
  constructor(
    private readonly calendar: SaleCalendar,
    private readonly sales: SaleRepository,
    private readonly pauseSwitch: SalePauseSwitch,
    private readonly loader: SaleLoader,
    private readonly getSale: GetSaleUseCase,
    private readonly clock: Clock,
  ) {}

  pause(id: SaleId): Promise<Result<SaleView, Rejection>> {
    return this.set(id, true);
  }

  resume(id: SaleId): Promise<Result<SaleView, Rejection>> {
    return this.set(id, false);
  }

  private async set(id: SaleId, paused: boolean): Promise<Result<SaleView, Rejection>> {
    const sale = this.calendar.find(id) ?? (await this.sales.findById(id));
    if (!sale) return err(reject(RejectionCode.SaleNotFound, `There is no sale ${id}.`));
    if (sale.window.phaseAt(this.clock.now()) === 'ended') return err(reject(RejectionCode.SaleEnded, `Sale ${id} has ended.`));
    await this.sales.setPaused(id, paused);
    // A sale not loaded yet (far in the future) is loaded first, so it can be paused before it opens.
    if (!(await this.pauseSwitch.setPaused(id, paused))) {
      await this.loader.ensureLoaded(sale);
      await this.pauseSwitch.setPaused(id, paused);
    }
    return this.getSale.byId(id);
  }
}
