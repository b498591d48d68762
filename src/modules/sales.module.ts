import { Module } from '@nestjs/common';
import { EnsureUpcomingSalesUseCase } from '../application/sales/ensure-upcoming-sales.use-case';
import { GetSaleUseCase } from '../application/sales/get-sale.use-case';
import { ListSaleItemsUseCase } from '../application/sales/list-sale-items.use-case';
import { SaleCalendar } from '../application/sales/sale-calendar.service';
import { SalesHttpController } from '../interfaces/http/sales.http.controller';

/** Sales: the schedule, loading sales into the ledger, and reading them. */
@Module({
  controllers: [SalesHttpController],
  providers: [SaleCalendar, GetSaleUseCase, ListSaleItemsUseCase, EnsureUpcomingSalesUseCase],
  exports: [SaleCalendar, GetSaleUseCase, ListSaleItemsUseCase, EnsureUpcomingSalesUseCase],
})
export class SalesModule {}
