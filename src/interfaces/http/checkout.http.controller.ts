import { Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckoutUseCase } from '../../application/checkout/checkout.use-case';
import { parseItemId } from '../../domain/sale/item-id.value-object';
import { parseUserId } from '../../domain/user/user-id.value-object';
import { sendOutcome } from './problem-details';
import { InvalidParam, idempotencyKey, param } from './request-params';

export const USER_ID_EXPECTED = '1 to 64 characters of A-Z a-z 0-9 _ . : -';

/** POST /checkout?user_id=U&id=I (item_id= is an alias of id). Honours Idempotency-Key. */
@Controller()
export class CheckoutHttpController {
  constructor(private readonly checkout: CheckoutUseCase) {}

  @Post('checkout')
  @HttpCode(200)
  async checkoutItem(
    @Query() query: Record<string, unknown>,
    @Headers() headers: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const userId = param(query, ['user_id'], parseUserId, USER_ID_EXPECTED);
    if (userId instanceof InvalidParam) return userId.send(reply);
    const itemId = param(query, ['id', 'item_id'], parseItemId, 'a positive integer item id');
    if (itemId instanceof InvalidParam) return itemId.send(reply);
    const key = idempotencyKey(headers);
    if (key instanceof InvalidParam) return key.send(reply);

    const outcome = await this.checkout.execute({ userId, itemId, idempotencyKey: key });
    return sendOutcome(reply, outcome, (c) => ({ code: c.code, saleId: c.saleId, items: c.items, expiresAt: c.expiresAt.toISOString() }));
  }
}
