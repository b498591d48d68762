import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '../infrastructure/config/app-config';
import { InfrastructureModule } from '../infrastructure/infrastructure.module';
import { PinoNestLogger, createLogger } from '../infrastructure/logging/pino-logger';
import { BackgroundModule } from './background.module';

/** The worker process (`node dist/worker.js`, or WORKER_ONLY=true): the background work and no HTTP at all. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [InfrastructureModule.forRoot({ ...config, WORKER_ENABLED: true }), BackgroundModule] };
  }
}

export function createWorkerContext(config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(createLogger(config)),
    abortOnError: false,
  });
}
