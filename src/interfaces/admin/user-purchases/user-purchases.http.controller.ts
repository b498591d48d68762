import { Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { UserPurchasesUseCase } from '../../../application/orders/user-purchases.use-case';
import { parseUserId } from '../../../domain/user/user-id.value-object';
import { USER_ID_EXPECTED } from '../../http/buyer';
import { InvalidParam, param } from '../../http/request-params';
import { AdminController, saleIdParam, sendResult } from '../admin-http';

/** GET /admin/sales/:id/users/:userId/purchases: what a user bought, in the ledger and in written orders. */
@AdminController()
export class UserPurchasesHttpController {
  constructor(private readonly userPurchases: UserPurchasesUseCase) {}

  @Get('sales/:id/users/:userId/purchases')
  async purchases(@Param() params: Record<string, unknown>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const id = saleIdParam(params);
    if (id instanceof InvalidParam) return id.send(reply);
    const userId = param(params, ['userId'], parseUserId, USER_ID_EXPECTED);
    if (userId instanceof InvalidParam) return userId.send(reply);
    return sendResult(reply, await this.userPurchases.execute(id, userId));
  }
}
