import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../infrastructure/config/app-config';
import { InfrastructureModule } from '../infrastructure/infrastructure.module';
import { MailOutboxCommand } from '../interfaces/cli/mail.commands';
import { QueueFailedCommand, QueueRetryCommand, QueueStatusCommand, ReconcileOrdersCommand } from '../interfaces/cli/orders.commands';
import {
  CreateSaleCommand,
  ListSalesCommand,
  PauseSaleCommand,
  ResumeSaleCommand,
  ShowSaleCommand,
  UserPurchasesCommand,
} from '../interfaces/cli/sales.commands';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';

/** The admin CLI: the same use cases as HTTP, without the HTTP server or any background work. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [InfrastructureModule.forRoot(config), SalesModule, OrdersModule],
      providers: [
        CreateSaleCommand,
        ListSalesCommand,
        ShowSaleCommand,
        PauseSaleCommand,
        ResumeSaleCommand,
        UserPurchasesCommand,
        ReconcileOrdersCommand,
        QueueStatusCommand,
        QueueFailedCommand,
        QueueRetryCommand,
        MailOutboxCommand,
      ],
    };
  }
}
