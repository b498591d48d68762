import { Controller, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PurchaseUseCase } from '../../application/purchase/purchase.use-case';
import { parseCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { sendOutcome } from './problem-details';
import { Access } from './access/access.decorator';
import { InvalidParam, idempotencyKey, param } from './request-params';

/** POST /purchase?code=C. Honours Idempotency-Key. With sessions or JWTs only the checkout's owner may buy it. */
@Controller()
export class PurchaseHttpController {
  constructor(private readonly purchase: PurchaseUseCase) {}

  @Post('purchase')
  @HttpCode(200)
  @Access({ group: 'buy', caller: 'buyer' })
  async purchaseCheckout(
    @Query() query: Record<string, unknown>,
    @Headers() headers: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const parsed = param(query, ['code'], parseCheckoutCode, 'a checkout code as returned by POST /checkout');
    if (parsed instanceof InvalidParam) return parsed.send(reply);
    const key = idempotencyKey(headers);
    if (key instanceof InvalidParam) return key.send(reply);

    const outcome = await this.purchase.execute({ ...parsed, idempotencyKey: key, buyer: request.caller?.userId });
    return sendOutcome(reply, outcome, (o) => ({ orderId: o.orderId, saleId: o.saleId, purchased: o.purchased, failed: o.failed }));
  }
}
