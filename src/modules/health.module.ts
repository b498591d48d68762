import { Module } from '@nestjs/common';
import { HealthHttpController } from '../interfaces/http/health.http.controller';
import { MetricsHttpController } from '../interfaces/http/metrics.http.controller';
import { BackgroundModule } from './background.module';

/** Operability: health checks and metrics. */
@Module({
  imports: [BackgroundModule],
  controllers: [HealthHttpController, MetricsHttpController],
})
export class HealthModule {}
