import { HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LineAdminUseCase } from '../../../application/line/line-admin.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult } from '../admin-http';

/** POST /admin/sales/:id/line/close: nobody more joins or is admitted; waiting buyers get line_closed. */
@AdminController()
export class LineCloseHttpController {
  constructor(private readonly lines: LineAdminUseCase) {}

  @Post('sales/:id/line/close')
  @HttpCode(200)
  async close(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    return sendResult(reply, await this.lines.close(id));
  }
}
