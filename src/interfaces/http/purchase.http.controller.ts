import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PurchaseUseCase } from '../../application/purchase/purchase.use-case';
import { parseCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { sendOutcome } from './problem-details';
import { FastifyDoor, FastifyRoute } from './fastify-route';
import { InvalidParam, idempotencyKey, param } from './request-params';

/** POST /purchase?code=C. Honours Idempotency-Key. With sessions or JWTs only the checkout's owner may buy it. */
@Injectable()
export class PurchaseHttpController implements FastifyDoor {
  constructor(private readonly purchase: PurchaseUseCase) {}

  routes(): FastifyRoute[] {
    return [
      {
        method: 'POST',
        url: '/purchase',
        access: { group: 'buy', caller: 'buyer' },
        handle: (req, reply) => this.purchaseCheckout(req, reply),
      },
    ];
  }

  async purchaseCheckout(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = request.query as Record<string, unknown>;
    const parsed = param(query, ['code'], parseCheckoutCode, 'a checkout code as returned by POST /checkout');
    if (parsed instanceof InvalidParam) return parsed.send(reply);
    const key = idempotencyKey(request.headers);
    if (key instanceof InvalidParam) return key.send(reply);

    const outcome = await this.purchase.execute({ ...parsed, idempotencyKey: key, buyer: request.caller?.userId });
    return sendOutcome(reply, outcome, (o) => ({ orderId: o.orderId, saleId: o.saleId, purchased: o.purchased, failed: o.failed }));
  }
}
