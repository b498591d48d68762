import { Controller, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PurchaseUseCase } from '../../application/purchase/purchase.use-case';
import { parseCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { sendRejection } from './problem-details';
import { InvalidParam, param } from './request-params';

/** POST /purchase?code=C */
@Controller()
export class PurchaseHttpController {
  constructor(private readonly purchase: PurchaseUseCase) {}

  @Post('purchase')
  @HttpCode(200)
  async purchaseCheckout(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const parsed = param(query, ['code'], parseCheckoutCode, 'a checkout code as returned by POST /checkout');
    if (parsed instanceof InvalidParam) return parsed.send(reply);

    const result = await this.purchase.execute(parsed);
    if (!result.ok) return sendRejection(reply, result.error);
    const o = result.value;
    return reply.send({ orderId: o.orderId, saleId: o.saleId, purchased: o.purchased, failed: o.failed });
  }
}
