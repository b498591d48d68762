import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckReadinessUseCase, Readiness } from '../../application/observability/check-readiness.use-case';
import { Access } from './access/access.decorator';
import { problemBody } from './problem-details';

/**
 * GET /health/live: the process answers. GET /health/ready: Redis, PostgreSQL and the queue answer. GET
 * /health/serving: buyers can be served (as ready, but PostgreSQL may be down): what a load balancer checks.
 */
@Controller('health')
@Access({ group: null, caller: 'none' })
export class HealthHttpController {
  constructor(private readonly readiness: CheckReadinessUseCase) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.answer(reply, await this.readiness.execute());
  }

  @Get('serving')
  async serving(@Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.answer(reply, await this.readiness.serving());
  }

  private answer(reply: FastifyReply, { ready, down, checks }: Readiness): FastifyReply {
    // Serving with PostgreSQL down is 'degraded': it takes buyers, and says what is missing.
    if (ready) return reply.send({ status: Object.values(checks).every((c) => c.status === 'up') ? 'ok' : 'degraded', checks });
    return reply
      .code(503)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .header('retry-after', '1')
      .send({ ...problemBody('service_unavailable', `Not ready: ${down.join(', ')}.`), checks });
  }
}
