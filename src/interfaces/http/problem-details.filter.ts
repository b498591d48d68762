import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MailUnavailableError, TokenKeysUnavailableError } from '../../application/identity/identity.errors';
import { ReplicaNotConfirmedError } from '../../application/shared/replica-confirmation.errors';
import { RejectionException } from './access/rejection.exception';
import { ProblemCode, sendProblem, sendRejection } from './problem-details';

/** Longest path segment (a sale id, a user id) the router takes; longer ones are refused with a 400. */
export const MAX_PARAM_LENGTH = 200;

// HEAD included: Fastify answers it on every GET route (exposeHeadRoutes), so Allow must say so (RFC 9110 §15.5.6).
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// Messages of Redis/PostgreSQL clients that mean "the dependency is away", not "the request is bad".
// Redis's own replies may come after a prefix: a batch script's step that failed is "<script>.lua failed on one
// call of its batch: OOM ...".
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|Command timed out|MaxRetriesPerRequest|Reached the max retries|Can't reach database|Connection terminated|timeout exceeded when trying to connect|the database system is (starting|shutting) up|LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MASTERDOWN|Cluster isn't ready|All sentinels are unreachable|Failed to refresh slots cache|No sharded subscriber|Too many Cluster redirections|no answer within \d+ ms|(^|: )(MOVED|ASK) \d+ |Command aborted due to connection close|(^|: )(BUSY|OOM|MISCONF|NOPERM) /i;

const BY_STATUS: Record<number, ProblemCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * Everything that is thrown ends here and leaves as problem+json: framework rejections (unknown route,
 * wrong method, unparsable body) as 4xx, an unreachable Redis or PostgreSQL as 503 with Retry-After, and
 * only true bugs as 500. Expected business outcomes never come here: controllers answer them directly.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    answerException(
      exception,
      host.switchToHttp().getRequest<FastifyRequest>(),
      host.switchToHttp().getResponse<FastifyReply>(),
      this.logger,
    );
  }
}

/** The filter's answer, also given by the hot routes registered on Fastify directly (see fastify-route.ts). */
export function answerException(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  if (reply.sent) return;
  // Some paths reach here without the onRequest hook that sets it (Fastify's fallback for a method no route
  // has, with a path its router refuses).
  if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', request.id);

  if (exception instanceof RejectionException) {
    sendRejection(reply, exception.rejection);
    return;
  }
  const status = statusOf(exception);
  if (status === 404 && isRouteMiss(exception)) {
    const path = pathOf(request);
    const allowed = METHODS.filter((m) => m !== request.method && reply.server.findRoute({ method: m, url: path }));
    // A method no route has (PUT, DELETE...) ends here without the router's checks of the path, and probing
    // other methods with a path the router refuses finds its refusal handler, which looks like a route:
    // refuse such a path as the router does for the other methods, not as a 405.
    const badPath = allowed.length > 0 ? pathProblem(path) : null;
    if (badPath) {
      sendProblem(reply, 'invalid_request', badPath);
      return;
    }
    if (allowed.length > 0) {
      sendProblem(reply, 'method_not_allowed', `${request.method} is not supported on ${path}; use ${allowed.join(' or ')}.`, {
        headers: { allow: allowed.join(', ') },
      });
      return;
    }
    sendProblem(reply, 'not_found', `There is no ${path}.`);
    return;
  }
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="flashsale-admin"');
    sendProblem(reply, BY_STATUS[status] ?? 'invalid_request', messageOf(exception));
    return;
  }
  if (exception instanceof ReplicaNotConfirmedError) {
    logger.warn(`${request.method} ${pathOf(request)}: ${exception.message}`);
    sendProblem(
      reply,
      'service_unavailable',
      'Your purchase could not be confirmed safely yet. Retry with the same code (or Idempotency-Key): it buys nothing twice and answers what was bought.',
      { retryAfterSeconds: 1 },
    );
    return;
  }
  if (exception instanceof TokenKeysUnavailableError || exception instanceof MailUnavailableError || isDependencyAway(exception)) {
    logger.warn(`${request.method} ${pathOf(request)}: dependency unavailable: ${messageOf(exception)}`);
    // A purchase script may have run before its answer was lost (a timeout, a dropped connection whose commands
    // ioredis sends again): the buyer must retry that code, not start a new checkout and buy a second time.
    const detail =
      request.method === 'POST' && pathOf(request) === '/purchase'
        ? 'Your purchase may or may not have been made. Retry with the same code (or Idempotency-Key): it buys nothing twice and answers what was bought.'
        : 'A backing service is unavailable; try again shortly.';
    sendProblem(reply, 'service_unavailable', detail, { retryAfterSeconds: 1 });
    return;
  }
  logger.error(`${request.method} ${pathOf(request)}: ${(exception as Error)?.stack ?? String(exception)}`);
  sendProblem(reply, 'internal_error', 'Something went wrong on our side.');
}

/** Why the router would refuse `path` before any route (as http-app.ts's frameworkErrors says it), if it would. */
function pathProblem(path: string): string | null {
  try {
    decodeURI(path);
  } catch {
    return 'The request path is not valid percent-encoding.';
  }
  return path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH)
    ? `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`
    : null;
}

/** The path without its query: query strings carry user ids and checkout codes (a code is enough to buy). */
function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

function statusOf(e: unknown): number | undefined {
  if (e instanceof HttpException) return e.getStatus();
  const s = (e as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Whether the error says a dependency is away or refusing for now. A transaction Redis discarded
 * (EXECABORT) is judged by the refusals that caused it, which ioredis keeps in previousErrors: a MULTI refused
 * for lack of replicas or memory is the same 503 as one command refused so.
 */
function isDependencyAway(e: unknown): boolean {
  if (UNAVAILABLE.test(messageOf(e)) || UNAVAILABLE.test(String((e as { code?: unknown })?.code ?? ''))) return true;
  const causes = (e as { previousErrors?: unknown })?.previousErrors;
  return Array.isArray(causes) && causes.some((c) => UNAVAILABLE.test(messageOf(c)));
}

function messageOf(e: unknown): string {
  if (e instanceof HttpException) {
    const r = e.getResponse();
    const m = typeof r === 'object' && r !== null ? (r as { message?: unknown }).message : r;
    return Array.isArray(m) ? m.join('; ') : String(m ?? e.message);
  }
  return e instanceof Error ? e.message : String(e);
}

/** Nest's not-found handler throws NotFoundException("Cannot GET /x"); nothing else of ours throws 404. */
function isRouteMiss(e: unknown): boolean {
  return e instanceof HttpException && /^Cannot [A-Z]+ /.test(messageOf(e));
}
