import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from '../application/ports/checkout-attempt-log.port';
import { Clock } from '../application/ports/clock.port';
import { IdGenerator } from '../application/ports/id-generator.port';
import { Metrics } from '../application/ports/metrics.port';
import { Lease } from '../application/ports/lease.port';
import { OrderQueue } from '../application/ports/order-queue.port';
import { OrderRepository } from '../application/ports/order.repository.port';
import { PurchaseOutbox } from '../application/ports/purchase-outbox.port';
import { SaleLedger } from '../application/ports/sale-ledger.port';
import { SaleRegistry } from '../application/ports/sale-registry.port';
import { SaleEventFeed } from '../application/ports/sale-event-feed.port';
import { SaleRepository } from '../application/ports/sale.repository.port';
import { SystemHealth } from '../application/ports/system-health.port';
import { SaleSettings } from '../application/sales/sale-settings';
import { AppConfig } from './config/app-config';
import { DependencyHealth } from './health/dependency.health';
import { PrometheusMetrics } from './metrics/prometheus-metrics';
import { PrismaCheckoutAttemptRepository } from './prisma/prisma-checkout-attempt.repository';
import { PrismaOrderRepository } from './prisma/prisma-order.repository';
import { PrismaSaleRepository } from './prisma/prisma-sale.repository';
import { PrismaService } from './prisma/prisma.service';
import { BullmqOrderQueue } from './queue/bullmq-order-queue';
import { RedisCheckoutAttemptLog } from './redis/redis-checkout-attempt-log';
import { RedisConnections } from './redis/redis-connections';
import { RedisLease } from './redis/redis-lease';
import { RedisPurchaseOutbox } from './redis/redis-purchase-outbox';
import { RedisSaleEventFeed } from './redis/redis-sale-event-feed';
import { RedisSaleLedger } from './redis/redis-sale-ledger';
import { RedisSaleRegistry } from './redis/redis-sale-registry';
import { CryptoIdGenerator } from './system/crypto-id-generator';
import { Lifecycle } from './system/lifecycle';
import { SystemClock } from './system/system-clock';

/** Binds every application port to its adapter. Global: feature modules just inject the ports. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: AppConfig, useValue: config },
      {
        provide: SaleSettings,
        useFactory: (c: AppConfig) =>
          new SaleSettings(
            c.SALE_DURATION_SECONDS * 1000,
            {
              itemsTotal: c.SALE_ITEMS,
              saleCap: c.SALE_CAP,
              perUserLimit: c.SALE_PER_USER_LIMIT,
              unitsPerItem: c.SALE_UNITS_PER_ITEM,
              onePurchasePerUser: c.SALE_ONE_PURCHASE_PER_USER,
            },
            c.SALE_RETENTION_SECONDS * 1000,
          ),
        inject: [AppConfig],
      },
      RedisConnections,
      PrismaService,
      BullmqOrderQueue,
      DependencyHealth,
      { provide: SystemHealth, useExisting: DependencyHealth },
      RedisSaleEventFeed,
      { provide: SaleEventFeed, useExisting: RedisSaleEventFeed },
      Lifecycle,
      { provide: SaleLedger, useClass: RedisSaleLedger },
      { provide: SaleRegistry, useClass: RedisSaleRegistry },
      { provide: PurchaseOutbox, useClass: RedisPurchaseOutbox },
      { provide: CheckoutAttemptLog, useClass: RedisCheckoutAttemptLog },
      { provide: Lease, useClass: RedisLease },
      { provide: OrderQueue, useExisting: BullmqOrderQueue },
      { provide: SaleRepository, useClass: PrismaSaleRepository },
      { provide: OrderRepository, useClass: PrismaOrderRepository },
      { provide: CheckoutAttemptRepository, useClass: PrismaCheckoutAttemptRepository },
      { provide: Clock, useClass: SystemClock },
      { provide: IdGenerator, useClass: CryptoIdGenerator },
      PrometheusMetrics,
      { provide: Metrics, useExisting: PrometheusMetrics },
    ];
    return {
      module: InfrastructureModule,
      // Readiness failures are answered (503), not logged: an outage would otherwise log on every probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      providers,
      exports: [...providers.map((p) => ('provide' in p ? p.provide : p)), TerminusModule],
    };
  }
}
