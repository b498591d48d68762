import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RATE_LIMIT_GROUPS, RateLimitGroup, RateLimitSettings, parseRateLimit } from '../application/access/rate-limit';
import { AuthSettings } from '../application/identity/auth-settings';
import { AccountRepository } from '../application/identity/account.repository.port';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from '../application/analytics/checkout-attempt-log.port';
import { Mailer } from '../application/identity/mailer.port';
import { PasswordHasher } from '../application/identity/password-hasher.port';
import { RateLimiter } from '../application/access/rate-limiter.port';
import { SessionStore } from '../application/identity/session-store.port';
import { TokenVerifier } from '../application/identity/token-verifier.port';
import { Clock } from '../application/shared/clock.port';
import { IdGenerator } from '../application/shared/id-generator.port';
import { Metrics } from '../application/observability/metrics.port';
import { Lease } from '../application/shared/lease.port';
import { OrderQueue } from '../application/order-pipeline/order-queue.port';
import { OrderRepository } from '../application/order-pipeline/order.repository.port';
import { PurchaseOutbox } from '../application/order-pipeline/purchase-outbox.port';
import { CheckoutLedger } from '../application/checkout/checkout-ledger.port';
import { PurchaseLedger } from '../application/purchase/purchase-ledger.port';
import { SaleReadModel } from '../application/sales/sale-read-model.port';
import { SaleLedgerLoader } from '../application/sales/sale-ledger-loader.port';
import { SalePauseSwitch } from '../application/sales/sale-pause-switch.port';
import { AcknowledgedOrders } from '../application/orders/acknowledged-orders.port';
import { SaleRegistry } from '../application/sales/sale-registry.port';
import { SaleEventFeed } from '../application/events/sale-event-feed.port';
import { SaleRepository } from '../application/sales/sale.repository.port';
import { SystemHealth } from '../application/observability/system-health.port';
import { ReconcileSettings } from '../application/orders/reconcile-settings';
import { SaleSettings } from '../application/sales/sale-settings';
import { AppConfig } from './config/app-config';
import { DependencyHealth } from './health/dependency.health';
import { JoseTokenVerifier } from './identity/jose-token-verifier';
import { SmtpOrOutboxMailer } from './identity/mailer';
import { ScryptPasswordHasher } from './identity/scrypt-password-hasher';
import { PrismaAccountRepository } from './prisma/prisma-account.repository';
import { RedisRateLimiter } from './redis/redis-rate-limiter';
import { RedisSessionStore } from './redis/redis-session-store';
import { PrometheusMetrics } from './metrics/prometheus-metrics';
import { PrismaCheckoutAttemptRepository } from './prisma/prisma-checkout-attempt.repository';
import { PrismaOrderRepository } from './prisma/prisma-order.repository';
import { PrismaSaleRepository } from './prisma/prisma-sale.repository';
import { PrismaService } from './prisma/prisma.service';
import { BullmqOrderQueue } from './order-pipeline/bullmq-order-queue';
import { RedisCheckoutAttemptLog } from './redis/redis-checkout-attempt-log';
import { RedisConnections } from './redis/redis-connections';
import { RedisLease } from './redis/redis-lease';
import { RedisPurchaseOutbox } from './order-pipeline/redis-purchase-outbox';
import { RedisSaleEventFeed } from './redis/redis-sale-event-feed';
import { LedgerSettings } from './redis/ledger-settings';
import { RedisAcknowledgedOrders } from './redis/redis-acknowledged-orders';
import { RedisCheckoutLedger } from './redis/redis-checkout-ledger';
import { RedisPurchaseLedger } from './redis/redis-purchase-ledger';
import { RedisSaleLedgerLoader } from './redis/redis-sale-ledger-loader';
import { RedisSalePauseSwitch } from './redis/redis-sale-pause-switch';
import { RedisSaleReadModel } from './redis/redis-sale-read-model';
import { RedisSaleRegistry } from './redis/redis-sale-registry';
import { CryptoIdGenerator } from './system/crypto-id-generator';
import { Lifecycle } from '../application/observability/process-lifecycle';
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
      {
        provide: AuthSettings,
        useFactory: (c: AppConfig) =>
          new AuthSettings(c.AUTH_MODE, c.SESSION_TTL_SECONDS * 1000, c.OTP_TTL_SECONDS * 1000, c.OTP_MAX_ATTEMPTS),
        inject: [AppConfig],
      },
      { provide: RateLimitSettings, useFactory: rateLimitSettings, inject: [AppConfig] },
      { provide: ReconcileSettings, useFactory: (c: AppConfig) => new ReconcileSettings(c.RECONCILE_GRACE_MS), inject: [AppConfig] },
      RedisConnections,
      PrismaService,
      BullmqOrderQueue,
      DependencyHealth,
      { provide: SystemHealth, useExisting: DependencyHealth },
      RedisSaleEventFeed,
      { provide: SaleEventFeed, useExisting: RedisSaleEventFeed },
      Lifecycle,
      LedgerSettings,
      { provide: CheckoutLedger, useClass: RedisCheckoutLedger },
      { provide: PurchaseLedger, useClass: RedisPurchaseLedger },
      { provide: SaleReadModel, useClass: RedisSaleReadModel },
      { provide: SaleLedgerLoader, useClass: RedisSaleLedgerLoader },
      { provide: SalePauseSwitch, useClass: RedisSalePauseSwitch },
      { provide: AcknowledgedOrders, useClass: RedisAcknowledgedOrders },
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
      { provide: AccountRepository, useClass: PrismaAccountRepository },
      { provide: PasswordHasher, useClass: ScryptPasswordHasher },
      { provide: SessionStore, useClass: RedisSessionStore },
      { provide: Mailer, useClass: SmtpOrOutboxMailer },
      { provide: TokenVerifier, useClass: JoseTokenVerifier },
      { provide: RateLimiter, useClass: RedisRateLimiter },
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

/** RATE_LIMIT and RATE_LIMIT_<GROUP>_<IP|USER>, already checked by the config's validation. */
function rateLimitSettings(c: AppConfig): RateLimitSettings {
  const policy = (name: string) => parseRateLimit(String(c[name as keyof AppConfig])) ?? null;
  const groups = Object.fromEntries(
    RATE_LIMIT_GROUPS.map((g) => [
      g,
      { ip: policy(`RATE_LIMIT_${g.toUpperCase()}_IP`), user: policy(`RATE_LIMIT_${g.toUpperCase()}_USER`) },
    ]),
  ) as Record<RateLimitGroup, { ip: ReturnType<typeof policy>; user: ReturnType<typeof policy> }>;
  return new RateLimitSettings(c.RATE_LIMIT === 'on', groups);
}
