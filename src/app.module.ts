import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './infrastructure/config/app-config';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { BackgroundModule } from './modules/background.module';
import { HttpModule } from './modules/http.module';

/**
 * The service process (`node dist/main.js`): every HTTP door, and the background work (the order worker
 * only when WORKER_ENABLED, the default). The worker process is modules/worker.module.ts; the CLI,
 * modules/cli.module.ts.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [InfrastructureModule.forRoot(config), HttpModule.forRoot(config), BackgroundModule] };
  }
}
