import { Body, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReconcileOrdersUseCase } from '../../../application/orders/reconcile-orders.use-case';
import { SaleId } from '../../../domain/sale/sale-id.value-object';
import { InvalidParam } from '../../http/request-params';
import { AdminController, validBody } from '../admin-http';
import { ReconcileOrdersRequest } from './reconcile-orders.request';

/** POST /admin/orders/reconcile: compare Redis with PostgreSQL now. */
@AdminController()
export class ReconcileOrdersHttpController {
  constructor(private readonly reconcile: ReconcileOrdersUseCase) {}

  @Post('orders/reconcile')
  @HttpCode(200)
  async reconcileOrders(@Body() body: unknown, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const request = validBody(ReconcileOrdersRequest, body);
    if (request instanceof InvalidParam) return request.send(reply);
    const sales = request.saleId ? [request.saleId as SaleId] : undefined;
    return reply.send({ sales: await this.reconcile.execute(request.graceMs, sales, request.force ?? false) });
  }
}
