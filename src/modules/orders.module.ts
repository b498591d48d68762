import { Module } from '@nestjs/common';
import { RecordCheckoutAttemptsUseCase } from '../application/analytics/record-checkout-attempts.use-case';
import { RecordOrdersUseCase } from '../application/order-pipeline/record-orders.use-case';
import { RelayPurchasesUseCase } from '../application/order-pipeline/relay-purchases.use-case';
import { DeadLettersUseCase } from '../application/orders/dead-letters.use-case';
import { QueueStatusUseCase } from '../application/orders/queue-status.use-case';
import { ReconcileOrdersUseCase } from '../application/orders/reconcile-orders.use-case';
import { UserPurchasesUseCase } from '../application/orders/user-purchases.use-case';
import { SalesModule } from './sales.module';

const useCases = [
  RelayPurchasesUseCase,
  RecordOrdersUseCase,
  RecordCheckoutAttemptsUseCase,
  ReconcileOrdersUseCase,
  DeadLettersUseCase,
  QueueStatusUseCase,
  UserPurchasesUseCase,
];

/** Orders: from the ledger's outbox through the queue into PostgreSQL, reconciliation, checkout analytics. */
@Module({ imports: [SalesModule], providers: useCases, exports: useCases })
export class OrdersModule {}
