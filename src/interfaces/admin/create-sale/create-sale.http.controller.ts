import { Body, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateSaleUseCase } from '../../../application/sales/create-sale.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, sendResult, validBody } from '../admin-http';
import { CreateSaleRequest } from './create-sale.request';

/** POST /admin/sales: a sale outside the hourly rhythm, live at once. */
@AdminController()
export class CreateSaleHttpController {
  constructor(private readonly createSale: CreateSaleUseCase) {}

  @Post('sales')
  async create(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const request = validBody(CreateSaleRequest, body);
    if (request instanceof InvalidParam) return request.send(reply);
    return sendResult(reply, await this.createSale.execute(request.toCommand()), 201);
  }
}
