import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckoutUseCase } from '../../application/checkout/checkout.use-case';
import { parseItemId } from '../../domain/sale/item-id.value-object';
import { sendOutcome } from './problem-details';
import { FastifyDoor, FastifyRoute } from './fastify-route';
import { buyerOf } from './buyer';
import { ITEM_ID_PARAMS, InvalidParam, idempotencyKey, param } from './request-params';

/**
 * POST /checkout?user_id=U&id=I (item_id= is an alias of id). Honours Idempotency-Key. With sessions or JWTs
 * the buyer is the signed-in user and user_id may be left out.
 */
@Injectable()
export class CheckoutHttpController implements FastifyDoor {
  constructor(private readonly checkout: CheckoutUseCase) {}

  routes(): FastifyRoute[] {
    return [
      {
        method: 'POST',
        url: '/checkout',
        access: { group: 'buy', caller: 'buyer' },
        handle: (req, reply) => this.checkoutItem(req, reply),
      },
    ];
  }

  async checkoutItem(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = request.query as Record<string, unknown>;
    const userId = buyerOf(request, query);
    if (userId instanceof InvalidParam) return userId.send(reply);
    const itemId = param(query, ITEM_ID_PARAMS, parseItemId, 'a positive integer item id');
    if (itemId instanceof InvalidParam) return itemId.send(reply);
    const key = idempotencyKey(request.headers);
    if (key instanceof InvalidParam) return key.send(reply);

    const outcome = await this.checkout.execute({ userId, itemId, idempotencyKey: key });
    return sendOutcome(reply, outcome, (c) => ({ code: c.code, saleId: c.saleId, items: c.items, expiresAt: c.expiresAt.toISOString() }));
  }
}
