import { Module } from '@nestjs/common';
import { CheckoutAttemptsRunner } from '../interfaces/background/checkout-attempts.runner';
import { OutboxRelayRunner } from '../interfaces/background/outbox-relay.runner';
import { ReconcileRunner } from '../interfaces/background/reconcile.runner';
import { SaleScheduleRunner } from '../interfaces/background/sale-schedule.runner';
import { OrderBatchesProcessor } from '../interfaces/queue/order-batches.processor';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';

/**
 * The work that runs by itself in the service and worker processes (never in the CLI): the scheduler and
 * sale calendar, the outbox relay and attempts writer, the reconciler, and the order worker.
 */
@Module({
  imports: [SalesModule, OrdersModule],
  providers: [SaleScheduleRunner, OutboxRelayRunner, CheckoutAttemptsRunner, ReconcileRunner, OrderBatchesProcessor],
})
export class BackgroundModule {}
