import { Module } from '@nestjs/common';
import { RecordCheckoutAttemptsUseCase } from '../application/analytics/record-checkout-attempts.use-case';
import { RecordOrdersUseCase } from '../application/orders/record-orders.use-case';
import { RelayPurchasesUseCase } from '../application/orders/relay-purchases.use-case';
import { StreamDrainRunner } from '../interfaces/background/stream-drain.runner';
import { OrderProcessor } from '../interfaces/queue/order.processor';
import { SalesModule } from './sales.module';

/** Orders: from the ledger's outbox through the queue into PostgreSQL, plus checkout analytics. */
@Module({
  imports: [SalesModule],
  providers: [RelayPurchasesUseCase, RecordOrdersUseCase, RecordCheckoutAttemptsUseCase, OrderProcessor, StreamDrainRunner],
  exports: [OrderProcessor, RelayPurchasesUseCase, RecordOrdersUseCase],
})
export class OrdersModule {}
