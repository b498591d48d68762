import { Body, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DeadLettersUseCase } from '../../../application/orders/dead-letters.use-case';
import { InvalidParam, intInRange, optionalParam } from '../../http/request-params';
import { AdminController, validBody } from '../admin-http';
import { RetryDeadLettersRequest } from './retry-dead-letters.request';

/** GET /admin/queue/failed: the dead letters. POST /admin/queue/retry: queue them again. */
@AdminController()
export class DeadLettersHttpController {
  constructor(private readonly deadLetters: DeadLettersUseCase) {}

  @Get('queue/failed')
  async failed(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const limit = optionalParam(query, 'limit', intInRange(1, 1000), 'an integer from 1 to 1000', 100);
    if (limit instanceof InvalidParam) return limit.send(reply);
    return reply.send({ deadLetters: await this.deadLetters.list(limit) });
  }

  @Post('queue/retry')
  @HttpCode(200)
  async retry(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const request = validBody(RetryDeadLettersRequest, body);
    if (request instanceof InvalidParam) return request.send(reply);
    return reply.send({ retried: await this.deadLetters.retry(request.jobIds) });
  }
}
