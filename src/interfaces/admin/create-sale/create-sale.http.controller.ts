import { Body, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateSaleUseCase } from '../../../application/sales/create-sale.use-case';
import { InvalidParam } from '../../http/request-params';
import { AdminController, sendResult, validBody } from '../admin-http';
import { CreateSaleRequest } from './create-sale.request';

/** POST /admin/sales: a sale outside the hourly rhythm, live at once (201; 200 for a repeat of the same sale). */
@AdminController()
export class CreateSaleHttpController {
  constructor(private readonly createSale: CreateSaleUseCase) {}

  @Post('sales')
  async create(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const request = validBody(CreateSaleRequest, body);
    if (request instanceof InvalidParam) return request.send(reply);
    const result = await this.createSale.execute(request.toCommand());
    if (!result.ok) return sendResult(reply, result);
    // 200 for a repeat of the very same sale: nothing new was made, and the answer is the same sale.
    return reply.code(result.value.created ? 201 : 200).send(result.value.sale);
  }
}
