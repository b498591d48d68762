import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { AppConfig, ConfigError, loadConfig } from './infrastructure/config/app-config';
import { ProcessLifecycle } from './application/observability/process-lifecycle';
import { createHttpApp } from './modules/http-app';
import { createWorkerContext } from './modules/worker.module';

/** Reads the configuration or stops the process with a message naming each bad variable. */
export function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`flashsale: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** The API (and, by default, the order worker and background loops) in this process. */
export async function startApi(config: AppConfig): Promise<void> {
  const app = await createHttpApp(AppModule.forRoot(config), config);
  stopGracefullyOnSignals(app, config);
  await app.listen({ port: config.PORT, host: config.HOST });
  new Logger('Flashsale').log(`listening on http://${config.HOST}:${config.PORT} (worker ${config.WORKER_ENABLED ? 'on' : 'off'})`);
}

/** Only the background work: order worker, outbox relay, attempts writer, scheduler. No HTTP. */
export async function startWorker(config: AppConfig): Promise<void> {
  const app = await createWorkerContext(config);
  stopGracefullyOnSignals(app, config);
  await app.init();
  new Logger('Flashsale').log('worker running (no HTTP)');
}

/**
 * SIGTERM/SIGINT: readiness turns false, the server stops accepting and finishes in-flight requests, the
 * worker finishes its active jobs, connections close, exit 0. Past SHUTDOWN_GRACE_MS it gives up: exit 1
 * (jobs left active are picked up again by the next worker; nothing acknowledged is lost).
 */
function stopGracefullyOnSignals(app: INestApplicationContext, config: AppConfig): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: shutting down (grace ${config.SHUTDOWN_GRACE_MS} ms)`);
    app.get(ProcessLifecycle).beginShutdown();
    setTimeout(() => {
      logger.error(`still busy after SHUTDOWN_GRACE_MS=${config.SHUTDOWN_GRACE_MS}; exiting`);
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS).unref();
    // First the HTTP server stops accepting and finishes the requests in flight; then (app.close) the
    // worker finishes its active jobs and the connections close.
    closeHttp(app)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (e: Error) => {
          logger.error(`shutdown failed: ${e.stack ?? e.message}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function closeHttp(app: INestApplicationContext): Promise<void> {
  const http = (app as Partial<NestFastifyApplication>).getHttpAdapter?.();
  await http?.close();
}
