import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PrometheusMetrics } from '../../infrastructure/metrics/prometheus-metrics';

/** GET /metrics in Prometheus text format. */
@Controller()
export class MetricsHttpController {
  constructor(private readonly metrics: PrometheusMetrics) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<FastifyReply> {
    return reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
