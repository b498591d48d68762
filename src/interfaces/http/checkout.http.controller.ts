import { Controller, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckoutUseCase } from '../../application/checkout/checkout.use-case';
import { parseItemId } from '../../domain/sale/item-id.value-object';
import { parseUserId } from '../../domain/user/user-id.value-object';
import { sendRejection } from './problem-details';
import { InvalidParam, param } from './request-params';

export const USER_ID_EXPECTED = '1 to 64 characters of A-Z a-z 0-9 _ . : -';

/** POST /checkout?user_id=U&id=I (item_id= is an alias of id). */
@Controller()
export class CheckoutHttpController {
  constructor(private readonly checkout: CheckoutUseCase) {}

  @Post('checkout')
  @HttpCode(200)
  async checkoutItem(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const userId = param(query, ['user_id'], parseUserId, USER_ID_EXPECTED);
    if (userId instanceof InvalidParam) return userId.send(reply);
    const itemId = param(query, ['id', 'item_id'], parseItemId, 'a positive integer item id');
    if (itemId instanceof InvalidParam) return itemId.send(reply);

    const result = await this.checkout.execute({ userId, itemId });
    if (!result.ok) return sendRejection(reply, result.error);
    const c = result.value;
    return reply.send({ code: c.code, saleId: c.saleId, items: c.items, expiresAt: c.expiresAt.toISOString() });
  }
}
