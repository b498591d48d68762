import { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../../infrastructure/config/app-config';
import { sendProblem } from './problem-details';
import { ProblemDetailsFilter } from './problem-details.filter';

const BODY_LIMIT = 64 * 1024;

/**
 * Builds the HTTP application on Fastify: used by main.ts and by the e2e tests, so both run the same stack.
 * The API takes its inputs from the query string; bodies are accepted (and ignored) when small and parsable.
 */
export async function createHttpApp(module: DynamicModule, config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
    // We answer requests that arrive while closing ourselves (below), as problem+json like every error.
    return503OnClosing: false,
    // On close, drop idle keep-alive connections at once; in-flight requests still finish.
    forceCloseConnections: 'idle',
  });
  // Clients often send "Content-Type: application/json" with no body on a POST: accept that.
  const fastify = adapter.getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('The request body is not valid JSON.'), { statusCode: 400 }), undefined);
    }
  });
  // Once close() has begun, requests still arriving on open connections get a 503 the client can act on
  // (and the connection is closed); requests already in progress finish normally.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    sendProblem(reply, 'service_unavailable', 'The server is shutting down; retry, another instance will answer.', {
      retryAfterSeconds: 1,
      headers: { connection: 'close' },
    });
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: loggerLevels(config),
    abortOnError: false,
    // Our JSON parser above stays; Nest would register its own over it.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  return app;
}

export async function createWorkerContext(module: DynamicModule, config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(module, { logger: loggerLevels(config), abortOnError: false });
}

function loggerLevels(config: AppConfig) {
  const order = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(config.LOG_LEVEL) + 1);
}
