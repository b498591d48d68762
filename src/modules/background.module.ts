import { Module } from '@nestjs/common';
import { CheckoutAttemptsRunner } from '../interfaces/background/checkout-attempts.runner';
import { OutboxRelayRunner } from '../interfaces/background/outbox-relay.runner';
import { ReconcileRunner } from '../interfaces/background/reconcile.runner';
import { SaleScheduleRunner } from '../interfaces/background/sale-schedule.runner';
import { OrderBatchesProcessor } from '../interfaces/queue/order-batches.processor';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';
import { LineModule } from './line.module';
import { LineAdmissionRunner } from '../interfaces/background/line-admission.runner';

/**
 * The work that runs by itself in the service and worker processes (never in the CLI): the scheduler and
 * sale calendar, the outbox relay and attempts writer, the reconciler, and the order worker.
 */
@Module({
  imports: [SalesModule, OrdersModule, LineModule],
  providers: [SaleScheduleRunner, OutboxRelayRunner, CheckoutAttemptsRunner, ReconcileRunner, OrderBatchesProcessor, LineAdmissionRunner],
})
export class BackgroundModule {}
