import { Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ListSalesUseCase } from '../../../application/sales/list-sales.use-case';
import { InvalidParam, intInRange, optionalParam } from '../../http/request-params';
import { AdminController } from '../admin-http';

/** GET /admin/sales?limit=: the most recent sales with their status. */
@AdminController()
export class ListSalesHttpController {
  constructor(private readonly listSales: ListSalesUseCase) {}

  @Get('sales')
  async sales(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const limit = optionalParam(query, 'limit', intInRange(1, 500), 'an integer from 1 to 500', 20);
    if (limit instanceof InvalidParam) return limit.send(reply);
    return reply.send({ sales: await this.listSales.recent(limit) });
  }
}
