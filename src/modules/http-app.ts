import { randomBytes } from 'node:crypto';
import { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest, LogController } from 'fastify';
import type { Bindings, Logger } from 'pino';
import { AppConfig } from '../infrastructure/config/app-config';
import { LazyChildLogger, PinoNestLogger, createLogger } from '../infrastructure/logging/pino-logger';
import { PrometheusMetrics } from '../infrastructure/metrics/prometheus-metrics';
import { AccessGuard } from '../interfaces/http/access/access.guard';
import { AdmissionGuard } from '../interfaces/http/admission.guard';
import { FastifyDoor, registerFastifyRoutes } from '../interfaces/http/fastify-route';
import { problemBody, rawProblemResponse, sendProblem } from '../interfaces/http/problem-details';
import { MAX_PARAM_LENGTH, ProblemDetailsFilter } from '../interfaces/http/problem-details.filter';
import { endEventStreams } from '../interfaces/http/server-sent-events';
import { FASTIFY_DOORS } from './http.module';

const BODY_LIMIT = 64 * 1024;
/** An incoming X-Request-Id is trusted only if it looks like an id; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Generated request ids, shaped like a UUID: 80 random bits per process, then a counter. Unique across
 * processes and restarts, and much cheaper than a random UUID per request.
 */
function requestIds(): () => string {
  const r = randomBytes(10).toString('hex');
  const prefix = `${r.slice(0, 8)}-${r.slice(8, 12)}-${r.slice(12, 16)}-${r.slice(16, 20)}-`;
  let n = 0;
  return () => prefix + (++n).toString(16).padStart(12, '0');
}

/** Answers a request Node's HTTP parser refused, as Fastify's default handler does but as problem+json. */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Not into a response already under way on this connection (an event stream, say): just close it.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    socket.write(
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawProblemResponse('request_timeout', 'The request did not arrive in time.')
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? rawProblemResponse('headers_too_large', 'The request headers are larger than the server accepts.')
          : rawProblemResponse('invalid_request', 'The request is not well-formed HTTP.'),
    );
  }
  socket.destroy(error);
}

/**
 * Builds the HTTP application on Fastify: used by main.ts and by the e2e tests, so both run the same stack.
 * The API takes its inputs from the query string; bodies are accepted (and ignored) when small and parsable.
 */
export async function createHttpApp(module: DynamicModule, config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config);
  const nextRequestId = requestIds();
  const adapter = new FastifyAdapter({
    // No Nest middleware is used: without it, every request skips middie's pass.
    skipMiddie: true,
    loggerInstance: logger,
    // One line per request is written below (sampled); Fastify's own two lines per request are off.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    // The request's child logger is made only if the request logs (a sample, and errors).
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings) =>
      new LazyChildLogger(parent as unknown as Logger, bindings) as unknown as FastifyBaseLogger,
    // The client's address comes from the socket unless TRUST_PROXY names proxies whose X-Forwarded-For counts.
    trustProxy: config.TRUST_PROXY ? config.TRUST_PROXY.split(',').map((p) => p.trim()) : false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors the router meets before any route runs: problem+json like every other error, not Fastify's own
    // JSON (a broken percent-encoding or an overlong path segment is the client's mistake, so a 400).
    // No hook runs for them, so the request id is set here.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', request.id);
      if (error.code === 'FST_ERR_BAD_URL') sendProblem(reply, 'invalid_request', 'The request path is not valid percent-encoding.');
      else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
        sendProblem(reply, 'invalid_request', `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`);
      else sendProblem(reply, 'internal_error', 'The request could not be routed.');
    },
    // Requests Node's parser refuses (no route or hook ever sees them): problem+json too.
    clientErrorHandler: answerClientError,
    // Node would refuse an HTTP/1.1 request without Host itself, with an empty 400: refused below instead.
    http: { requireHostHeader: false },
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
    // Event streams never end by themselves: end them, or the server would wait for them for ever.
    endEventStreams(fastify);
    done();
  });
  // An Expect other than 100-continue: Node would answer a bare 417 by itself (no body, no request id).
  fastify.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problemBody('expectation_failed', `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported.`));
    res.writeHead(417, {
      'x-request-id': nextRequestId(),
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // RFC 9112 §3.2: a server must refuse an HTTP/1.1 request without Host with a 400.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      sendProblem(reply, 'invalid_request', 'The request has no Host header.', { headers: { connection: 'close' } });
      return;
    }
    if (!closing) return done();
    sendProblem(reply, 'service_unavailable', 'The server is shutting down; retry, another instance will answer.', {
      retryAfterSeconds: 1,
      headers: { connection: 'close' },
    });
  });

  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // Our JSON parser above stays; Nest would register its own over it.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  registerFastifyRoutes(
    fastify,
    app.get(AccessGuard, { strict: false }),
    admissionGate(app),
    FASTIFY_DOORS.map((door) => app.get<object, FastifyDoor>(door, { strict: false })),
  );

  // Per request: the duration histogram, and one log line (every server error, and a sample of the rest;
  // query strings stay out of the log, they carry user ids and checkout codes).
  const metrics = app.get(PrometheusMetrics);
  const sample = config.LOG_REQUEST_SAMPLE_RATE;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe(request.method, route, reply.statusCode, seconds);
    if (reply.statusCode >= 500 || (sample > 0 && Math.random() < sample)) {
      request.log.info(
        { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request',
      );
    }
    done();
  });
  return app;
}

/** The waiting room's gate for the Fastify-registered buy routes, or null when WAITING_ROOM is off. */
function admissionGate(app: NestFastifyApplication): AdmissionGuard | null {
  const gate = app.get(AdmissionGuard, { strict: false });
  return gate.active ? gate : null;
}
