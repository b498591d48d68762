import { Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PurchaseUseCase } from '../../application/purchase/purchase.use-case';
import { parseCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { sendOutcome } from './problem-details';
import { InvalidParam, idempotencyKey, param } from './request-params';

/** POST /purchase?code=C. Honours Idempotency-Key. */
@Controller()
export class PurchaseHttpController {
  constructor(private readonly purchase: PurchaseUseCase) {}

  @Post('purchase')
  @HttpCode(200)
  async purchaseCheckout(
    @Query() query: Record<string, unknown>,
    @Headers() headers: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const parsed = param(query, ['code'], parseCheckoutCode, 'a checkout code as returned by POST /checkout');
    if (parsed instanceof InvalidParam) return parsed.send(reply);
    const key = idempotencyKey(headers);
    if (key instanceof InvalidParam) return key.send(reply);

    const outcome = await this.purchase.execute({ ...parsed, idempotencyKey: key });
    return sendOutcome(reply, outcome, (o) => ({ orderId: o.orderId, saleId: o.saleId, purchased: o.purchased, failed: o.failed }));
  }
}
