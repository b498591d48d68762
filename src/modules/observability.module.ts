import { Module } from '@nestjs/common';
import { DashboardUseCase } from '../application/dashboard/dashboard.use-case';
import { CheckReadinessUseCase } from '../application/observability/check-readiness.use-case';
import { ScrapeMetricsUseCase } from '../application/observability/scrape-metrics.use-case';
import { LineModule } from './line.module';
import { SalesModule } from './sales.module';

const useCases = [CheckReadinessUseCase, ScrapeMetricsUseCase, DashboardUseCase];

/** What operators and orchestrators look at: readiness, metrics, the dashboard's picture. */
@Module({ imports: [SalesModule, LineModule], providers: useCases, exports: useCases })
export class ObservabilityModule {}
