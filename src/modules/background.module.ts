import { Module } from '@nestjs/common';
import { ReconcileRunner } from '../interfaces/background/reconcile.runner';
import { SaleScheduleRunner } from '../interfaces/background/sale-schedule.runner';
import { StreamDrainRunner } from '../interfaces/background/stream-drain.runner';
import { OrderProcessor } from '../interfaces/queue/order.processor';
import { OrdersModule } from './orders.module';
import { SalesModule } from './sales.module';

/**
 * The work that runs by itself in the service and worker processes (never in the CLI): the scheduler and
 * sale calendar, the outbox relay and attempts writer, the reconciler, and the order worker.
 */
@Module({
  imports: [SalesModule, OrdersModule],
  providers: [SaleScheduleRunner, StreamDrainRunner, ReconcileRunner, OrderProcessor],
  exports: [OrderProcessor],
})
export class BackgroundModule {}
