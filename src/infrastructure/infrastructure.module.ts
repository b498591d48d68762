import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RATE_LIMIT_GROUPS, RateLimitGroup, RateLimitSettings, parseRateLimit } from '../application/access/rate-limit';
import { AuthSettings } from '../application/identity/auth-settings';
import { AccountRepository } from '../application/ports/account.repository.port';
import { CheckoutAttemptLog, CheckoutAttemptRepository } from '../application/ports/checkout-attempt-log.port';
import { Mailer } from '../application/ports/mailer.port';
import { PasswordHasher } from '../application/ports/password-hasher.port';
import { RateLimiter } from '../application/ports/rate-limiter.port';
import { SessionStore } from '../application/ports/session-store.port';
import { TokenVerifier } from '../application/ports/token-verifier.port';
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
