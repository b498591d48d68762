import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../infrastructure/config/app-config';
import { APP_GUARD } from '@nestjs/core';
import { AdminTokenGuard } from '../interfaces/admin/admin-token.guard';
import { CreateSaleHttpController } from '../interfaces/admin/create-sale/create-sale.http.controller';
import { DashboardHttpController } from '../interfaces/admin/dashboard/dashboard.http.controller';
import { DeadLettersHttpController } from '../interfaces/admin/dead-letters/dead-letters.http.controller';
import { ListSalesHttpController } from '../interfaces/admin/list-sales/list-sales.http.controller';
import { PauseSaleHttpController } from '../interfaces/admin/pause-sale/pause-sale.http.controller';
import { QueueStatusHttpController } from '../interfaces/admin/queue-status/queue-status.http.controller';
import { ReconcileOrdersHttpController } from '../interfaces/admin/reconcile-orders/reconcile-orders.http.controller';
import { ShowSaleHttpController } from '../interfaces/admin/show-sale/show-sale.http.controller';
import { UserPurchasesHttpController } from '../interfaces/admin/user-purchases/user-purchases.http.controller';
import { AccessGuard } from '../interfaces/http/access/access.guard';
import { AuthHttpController } from '../interfaces/http/auth.http.controller';
import { CheckoutHttpController } from '../interfaces/http/checkout.http.controller';
import { HealthHttpController } from '../interfaces/http/health.http.controller';
import { MetricsHttpController } from '../interfaces/http/metrics.http.controller';
import { PagesHttpController } from '../interfaces/http/pages.http.controller';
import { PurchaseHttpController } from '../interfaces/http/purchase.http.controller';
import { SaleEventsHttpController } from '../interfaces/http/sale-events.http.controller';
import { SalesHttpController } from '../interfaces/http/sales.http.controller';
import { CheckoutModule } from './checkout.module';
import { IdentityModule } from './identity.module';
import { ObservabilityModule } from './observability.module';
import { OrdersModule } from './orders.module';
import { PurchaseModule } from './purchase.module';
import { SalesModule } from './sales.module';
import { LineModule } from './line.module';
import { LineStatusHttpController } from '../interfaces/admin/line-status/line-status.http.controller';
import { LineRateHttpController } from '../interfaces/admin/line-rate/line-rate.http.controller';
import { LineCloseHttpController } from '../interfaces/admin/line-close/line-close.http.controller';
import { AdmissionGuard } from '../interfaces/http/admission.guard';
import { LineHttpController } from '../interfaces/http/line.http.controller';

/** The admin API's controllers (src/interfaces/admin/<operation>/), each beside its CLI door. */
export const ADMIN_HTTP_CONTROLLERS = [
  CreateSaleHttpController,
  ListSalesHttpController,
  ShowSaleHttpController,
  PauseSaleHttpController,
  UserPurchasesHttpController,
  ReconcileOrdersHttpController,
  QueueStatusHttpController,
  DeadLettersHttpController,
  DashboardHttpController,
  LineStatusHttpController,
  LineRateHttpController,
  LineCloseHttpController,
];

/** The hot paths' doors, registered on Fastify directly (src/interfaces/http/fastify-route.ts). */
export const FASTIFY_DOORS = [CheckoutHttpController, PurchaseHttpController, SalesHttpController];

/** Every HTTP door, and the global guard that identifies each caller and applies the rate limits. */
@Module({
  imports: [SalesModule, CheckoutModule, PurchaseModule, OrdersModule, IdentityModule, ObservabilityModule, LineModule],
  controllers: [
    SaleEventsHttpController,
    LineHttpController,
    AuthHttpController,
    HealthHttpController,
    MetricsHttpController,
    PagesHttpController,
    ...ADMIN_HTTP_CONTROLLERS,
  ],
  providers: [AccessGuard, { provide: APP_GUARD, useExisting: AccessGuard }, AdminTokenGuard, AdmissionGuard, ...FASTIFY_DOORS],
})
export class HttpModule {
  /**
   * With WAITING_ROOM=on, a second global guard after AccessGuard (which identifies the caller first) checks
   * the admission on any buy route Nest serves; checkout and purchase, registered on Fastify directly, get the
   * same gate from createHttpApp. Off, neither checks anything: checkout and purchase pay nothing.
   */
  static forRoot(config: AppConfig): DynamicModule {
    return { module: HttpModule, providers: config.WAITING_ROOM === 'on' ? [{ provide: APP_GUARD, useExisting: AdmissionGuard }] : [] };
  }
}
