import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { DependencyHealth } from '../../infrastructure/health/dependency.health';
import { Lifecycle } from '../../application/observability/process-lifecycle';
import { OrderProcessor } from '../queue/order.processor';
import { Access } from './access/access.decorator';
import { problemBody } from './problem-details';

/** GET /health/live: the process answers. GET /health/ready: Redis, PostgreSQL and the queue answer. */
@Controller('health')
@Access({ group: null, caller: 'none' })
export class HealthHttpController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyHealth,
    private readonly lifecycle: Lifecycle,
    private readonly processor: OrderProcessor,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<FastifyReply> {
    const worker = this.processor.enabled ? this.processor.running : null;
    const result = await this.health
      .check([() => this.dependencies.redisCheck(), () => this.dependencies.postgresCheck(), () => this.dependencies.queueCheck(worker)])
      .catch((e: { getResponse?: () => unknown }) => e.getResponse?.() as { status: string; details: Record<string, unknown> } | undefined);
    const down = Object.entries(result?.details ?? {})
      .filter(([, v]) => (v as { status?: string }).status !== 'up')
      .map(([k]) => k);
    if (this.lifecycle.shuttingDown) down.unshift('shutting down');
    if (!result || down.length > 0) {
      return reply
        .code(503)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .header('retry-after', '1')
        .send({
          ...problemBody('service_unavailable', `Not ready: ${down.join(', ') || 'health check failed'}.`),
          checks: result?.details ?? {},
        });
    }
    return reply.send({ status: 'ok', checks: result.details });
  }
}
