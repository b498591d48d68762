import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthSettings } from '../../application/identity/auth-settings';
import { JoinLineUseCase, LineAnswer } from '../../application/line/join-line.use-case';
import { parseSaleId } from '../../domain/sale/sale-id.value-object';
import { Rejection } from '../../domain/shared/rejection';
import { Result } from '../../domain/shared/result';
import { Access } from './access/access.decorator';
import { ADMISSION_COOKIE } from './admission.guard';
import { buyerOf } from './buyer';
import { sendRejection } from './problem-details';
import { InvalidParam, optionalParam, param } from './request-params';

const parseNonce = (raw: unknown): string | null => (typeof raw === 'string' && /^[A-Za-z0-9]{1,64}$/.test(raw) ? raw : null);

/** The sale of the path and the buyer (session, JWT or trusted user_id), or what is wrong with them. */
function lineBuyer(params: Record<string, unknown>, query: Record<string, unknown>, request: FastifyRequest) {
  const saleId = param(params, ['id'], parseSaleId, 'a positive integer sale id');
  if (saleId instanceof InvalidParam) return saleId;
  const userId = buyerOf(request, query);
  if (userId instanceof InvalidParam) return userId;
  return { saleId, userId };
}

/**
 * POST /sales/:id/line joins the sale's waiting line, GET reads the buyer's place (and is a heartbeat).
 * Both answer 200 {status, position, ahead, etaSeconds, admission?, expiresAt?, reason?}; an admission is
 * also set as an HTTP-only cookie, so a page can go on to check out without handling it.
 */
@Controller('sales')
export class LineHttpController {
  constructor(
    private readonly line: JoinLineUseCase,
    private readonly auth: AuthSettings,
  ) {}

  @Post(':id/line')
  @HttpCode(200)
  @Access({ group: 'line', caller: 'buyer' })
  async join(
    @Param() params: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const who = lineBuyer(params, query, request);
    if (who instanceof InvalidParam) return who.send(reply);
    const proof = optionalParam<string | undefined>(query, 'pow', parseNonce, '1 to 64 letters and digits', undefined);
    if (proof instanceof InvalidParam) return proof.send(reply);
    return this.send(reply, await this.line.join({ ...who, proof }));
  }

  @Get(':id/line')
  @Access({ group: 'read', caller: 'buyer' })
  async read(
    @Param() params: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const who = lineBuyer(params, query, request);
    if (who instanceof InvalidParam) return who.send(reply);
    return this.send(reply, await this.line.read(who.saleId, who.userId));
  }

  private send(reply: FastifyReply, result: Result<LineAnswer, Rejection>): FastifyReply {
    if (!result.ok) return sendRejection(reply, result.error);
    const place = result.value;
    reply.header('cache-control', 'no-store');
    if (place.status === 'admitted' && place.admission) {
      const maxAge = Math.max(0, Math.floor((place.expiresAt.getTime() - Date.now()) / 1000));
      const secure = this.auth.cookieSecure ? '; Secure' : '';
      reply.header('set-cookie', `${ADMISSION_COOKIE}=${place.admission}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`);
      return reply.send({ ...place, expiresAt: place.expiresAt.toISOString() });
    }
    return reply.send(place);
  }
}
