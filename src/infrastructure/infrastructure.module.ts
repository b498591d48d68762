import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
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
import { AppConfig } from './config/app-config';
import { settingsProviders } from './config/settings.providers';
import { BullmqOrderWorker } from './order-pipeline/bullmq-order-worker';
import { OrderBatchConsumer } from '../application/order-pipeline/order-batch-consumer.port';
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
import { RedisReplicaConfirmation } from './redis/redis-replica-confirmation';
import { RedisReplicationReport } from './redis/redis-replication-report';
import { ReplicaConfirmation } from '../application/shared/replica-confirmation.port';
import { RedisAcknowledgedOrders } from './redis/redis-acknowledged-orders';
import { RedisCheckoutLedger } from './redis/redis-checkout-ledger';
import { RedisPurchaseLedger } from './redis/redis-purchase-ledger';
import { RedisSaleLedgerLoader } from './redis/redis-sale-ledger-loader';
import { RedisSalePauseSwitch } from './redis/redis-sale-pause-switch';
import { RedisSaleReadModel } from './redis/redis-sale-read-model';
import { RedisSaleRegistry } from './redis/redis-sale-registry';
import { CryptoIdGenerator } from './system/crypto-id-generator';
import { ProcessLifecycle } from '../application/observability/process-lifecycle';
import { SystemClock } from './system/system-clock';
import { WaitingLine } from '../application/line/waiting-line.port';
import { RedisWaitingLine } from './redis/redis-waiting-line';

/** Binds every application port to its adapter. Global: feature modules just inject the ports. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: AppConfig, useValue: config },
      ...settingsProviders(),
      RedisConnections,
      PrismaService,
      BullmqOrderQueue,
      { provide: OrderBatchConsumer, useClass: BullmqOrderWorker },
      DependencyHealth,
      { provide: SystemHealth, useExisting: DependencyHealth },
      RedisSaleEventFeed,
      { provide: SaleEventFeed, useExisting: RedisSaleEventFeed },
      ProcessLifecycle,
      LedgerSettings,
      RedisReplicaConfirmation,
      RedisReplicationReport,
      { provide: ReplicaConfirmation, useExisting: RedisReplicaConfirmation },
      { provide: CheckoutLedger, useClass: RedisCheckoutLedger },
      { provide: PurchaseLedger, useClass: RedisPurchaseLedger },
      { provide: SaleReadModel, useClass: RedisSaleReadModel },
      { provide: SaleLedgerLoader, useClass: RedisSaleLedgerLoader },
      { provide: SalePauseSwitch, useClass: RedisSalePauseSwitch },
      { provide: WaitingLine, useClass: RedisWaitingLine },
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
