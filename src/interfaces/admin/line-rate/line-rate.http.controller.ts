import { Body, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LineAdminUseCase } from '../../../application/line/line-admin.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult, validBody } from '../admin-http';
import { LineRateRequest } from './line-rate.request';

/** POST /admin/sales/:id/line/rate {"perSecond": n}: the line's admission rate, at once on every instance. */
@AdminController()
export class LineRateHttpController {
  constructor(private readonly lines: LineAdminUseCase) {}

  @Post('sales/:id/line/rate')
  @HttpCode(200)
  async rate(@Param() params: Record<string, unknown>, @Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    const dto = validBody(LineRateRequest, body);
    if (dto instanceof InvalidParam) return dto.send(reply);
    return sendResult(reply, await this.lines.setRate(id, dto.perSecond));
  }
}
