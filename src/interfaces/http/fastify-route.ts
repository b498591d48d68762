import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessRule } from './access/access.decorator';
import { AccessGuard } from './access/access.guard';
import type { AdmissionGuard } from './admission.guard';
import { sendRejection } from './problem-details';
import { answerException } from './problem-details.filter';

/**
 * A door registered on Fastify directly instead of through Nest's router: the hot paths (checkout, purchase,
 * public sale reads), where Nest's per-request chain (execution context, guard and interceptor consumers,
 * a pipe per parameter) cost more than the work itself. Each still passes the same access check as Nest's
 * routes (AccessGuard.check: who calls, rate limits; its refusals are values, answered here) and leaves every error as the same problem+json
 * (answerException, as ProblemDetailsFilter does); metrics, request ids and logs come from Fastify's hooks,
 * as for every route.
 */
export interface FastifyRoute {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly access: AccessRule;
  handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

/** A class of doors that registers as Fastify routes (see FastifyRoute). */
export interface FastifyDoor {
  routes(): FastifyRoute[];
}

const logger = new Logger('HTTP');

/** `admission` is the waiting room's gate when WAITING_ROOM=on, and null (nothing to check) when it is off. */
export function registerFastifyRoutes(
  fastify: FastifyInstance,
  access: AccessGuard,
  admission: AdmissionGuard | null,
  doors: readonly FastifyDoor[],
): void {
  for (const door of doors) {
    for (const route of door.routes()) {
      fastify.route({
        method: route.method,
        url: route.url,
        // Errors before the handler (a body too large, of a type we do not read, or not JSON) too.
        errorHandler: (error, request, reply) => answerException(error, request, reply, logger),
        handler: async (request, reply) => {
          try {
            const checking = access.check(route.access, request, reply);
            // The admission gate reads the caller the access check sets, so it comes second.
            const refusal = (checking ? await checking : null) ?? admission?.check(route.access, request);
            if (refusal) return sendRejection(reply, refusal);
            return await route.handle(request, reply);
          } catch (e) {
            answerException(e, request, reply, logger);
            return reply;
          }
        },
      });
    }
  }
}
