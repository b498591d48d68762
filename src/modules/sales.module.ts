import { Module } from '@nestjs/common';
import { SaleEventHub } from '../application/events/sale-event-hub.service';
import { CreateSaleUseCase } from '../application/sales/create-sale.use-case';
import { EndedSales } from '../application/sales/ended-sales.service';
import { EnsureUpcomingSalesUseCase } from '../application/sales/ensure-upcoming-sales.use-case';
import { KeepSalesLoadedUseCase } from '../application/sales/keep-sales-loaded.use-case';
import { GetSaleUseCase } from '../application/sales/get-sale.use-case';
import { ListSaleItemsUseCase } from '../application/sales/list-sale-items.use-case';
import { ListSalesUseCase } from '../application/sales/list-sales.use-case';
import { PauseSaleUseCase } from '../application/sales/pause-sale.use-case';
import { SaleCalendar } from '../application/sales/sale-calendar.service';
import { SaleLoader } from '../application/sales/sale-loader.service';
import { SoldOutItems } from '../application/sales/sold-out-items.service';

const services = [
  SaleCalendar,
  SoldOutItems,
  SaleLoader,
  EndedSales,
  SaleEventHub,
  GetSaleUseCase,
  ListSaleItemsUseCase,
  ListSalesUseCase,
  EnsureUpcomingSalesUseCase,
  KeepSalesLoadedUseCase,
  CreateSaleUseCase,
  PauseSaleUseCase,
];

/** Sales: the schedule, creating and loading sales, pausing them, reading them and their live events. */
@Module({ providers: services, exports: services })
export class SalesModule {}
