import { Module } from '@nestjs/common';
import { HealthHttpController } from '../interfaces/http/health.http.controller';
import { MetricsHttpController } from '../interfaces/http/metrics.http.controller';
import { BackgroundModule } from './background.module';
import { SalesModule } from './sales.module';

/** Operability: health checks and metrics. */
@Module({
  imports: [BackgroundModule, SalesModule],
  controllers: [HealthHttpController, MetricsHttpController],
})
export class HealthModule {}
