import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../infrastructure/config/app-config';
import { InfrastructureModule } from '../infrastructure/infrastructure.module';
import { CreateSaleCliCommand } from '../interfaces/admin/create-sale/create-sale.cli.command';
import { QueueFailedCliCommand, QueueRetryCliCommand } from '../interfaces/admin/dead-letters/dead-letters.cli.command';
import { ListSalesCliCommand } from '../interfaces/admin/list-sales/list-sales.cli.command';
import { MailOutboxCliCommand } from '../interfaces/admin/mail-outbox/mail-outbox.cli.command';
import { PauseSaleCliCommand, ResumeSaleCliCommand } from '../interfaces/admin/pause-sale/pause-sale.cli.command';
import { QueueStatusCliCommand } from '../interfaces/admin/queue-status/queue-status.cli.command';
import { ReconcileOrdersCliCommand } from '../interfaces/admin/reconcile-orders/reconcile-orders.cli.command';
import { ShowSaleCliCommand } from '../interfaces/admin/show-sale/show-sale.cli.command';
import { UserPurchasesCliCommand } from '../interfaces/admin/user-purchases/user-purchases.cli.command';
import { IdentityModule } from './identity.module';
import { LineModule } from './line.module';
import { LineStatusCliCommand } from '../interfaces/admin/line-status/line-status.cli.command';
import { LineRateCliCommand } from '../interfaces/admin/line-rate/line-rate.cli.command';
import { LineCloseCliCommand } from '../interfaces/admin/line-close/line-close.cli.command';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';

/** The admin CLI: the same use cases as the admin API, without the HTTP server or any background work. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [InfrastructureModule.forRoot(config), SalesModule, OrdersModule, IdentityModule, LineModule],
      providers: [
        CreateSaleCliCommand,
        ListSalesCliCommand,
        ShowSaleCliCommand,
        PauseSaleCliCommand,
        ResumeSaleCliCommand,
        UserPurchasesCliCommand,
        ReconcileOrdersCliCommand,
        QueueStatusCliCommand,
        QueueFailedCliCommand,
        QueueRetryCliCommand,
        MailOutboxCliCommand,
        LineStatusCliCommand,
        LineRateCliCommand,
        LineCloseCliCommand,
      ],
    };
  }
}
