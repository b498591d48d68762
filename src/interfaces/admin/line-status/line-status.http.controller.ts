import { Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LineAdminUseCase } from '../../../application/line/line-admin.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult } from '../admin-http';

/** GET /admin/sales/:id/line: waiting, admitted, rate, closed, admitted in all, median wait. */
@AdminController()
export class LineStatusHttpController {
  constructor(private readonly lines: LineAdminUseCase) {}

  @Get('sales/:id/line')
  async status(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    return sendResult(reply, await this.lines.status(id));
  }
}
