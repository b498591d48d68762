import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './infrastructure/config/app-config';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { AdminModule } from './modules/admin.module';
import { BackgroundModule } from './modules/background.module';
import { CheckoutModule } from './modules/checkout.module';
import { HealthModule } from './modules/health.module';
import { IdentityModule } from './modules/identity.module';
import { OrdersModule } from './modules/orders.module';
import { PagesModule } from './modules/pages.module';
import { PurchaseModule } from './modules/purchase.module';
import { SalesModule } from './modules/sales.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(config),
        IdentityModule,
        SalesModule,
        CheckoutModule,
        PurchaseModule,
        OrdersModule,
        BackgroundModule,
        HealthModule,
        AdminModule,
        PagesModule,
      ],
    };
  }
}
