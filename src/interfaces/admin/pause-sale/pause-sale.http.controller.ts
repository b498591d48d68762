import { HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PauseSaleUseCase } from '../../../application/sales/pause-sale.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult } from '../admin-http';

/** POST /admin/sales/:id/pause and /resume: atomically with checkout and purchase. */
@AdminController()
export class PauseSaleHttpController {
  constructor(private readonly pauseSale: PauseSaleUseCase) {}

  @Post('sales/:id/pause')
  @HttpCode(200)
  pause(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.set(params, reply, true);
  }

  @Post('sales/:id/resume')
  @HttpCode(200)
  resume(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return this.set(params, reply, false);
  }

  private async set(params: Record<string, unknown>, reply: FastifyReply, paused: boolean): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    return sendResult(reply, await (paused ? this.pauseSale.pause(id) : this.pauseSale.resume(id)));
  }
}
