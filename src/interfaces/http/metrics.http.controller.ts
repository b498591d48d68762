import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ScrapeMetricsUseCase } from '../../application/observability/scrape-metrics.use-case';
import { Access } from './access/access.decorator';

/** GET /metrics in Prometheus text format. */
@Controller()
@Access({ group: null, caller: 'none' })
export class MetricsHttpController {
  constructor(private readonly scrape: ScrapeMetricsUseCase) {}

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply): Promise<FastifyReply> {
    const { contentType, body } = await this.scrape.execute();
    return reply.header('content-type', contentType).send(body);
  }
}
