import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckReadinessUseCase } from '../../application/observability/check-readiness.use-case';
import { Access } from './access/access.decorator';
import { problemBody } from './problem-details';

/** GET /health/live: the process answers. GET /health/ready: Redis, PostgreSQL and the queue answer. */
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
    const { ready, down, checks } = await this.readiness.execute();
    if (ready) return reply.send({ status: 'ok', checks });
    return reply
      .code(503)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .header('retry-after', '1')
      .send({ ...problemBody('service_unavailable', `Not ready: ${down.join(', ')}.`), checks });
  }
}
