import { Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ListSalesUseCase } from '../../../application/sales/list-sales.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult } from '../admin-http';

/** GET /admin/sales/:id: one sale with its live counters. */
@AdminController()
export class ShowSaleHttpController {
  constructor(private readonly listSales: ListSalesUseCase) {}

  @Get('sales/:id')
  async show(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    return sendResult(reply, await this.listSales.report(id));
  }
}
