import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthSettings } from '../../application/identity/auth-settings';
import { CheckAdmissionUseCase } from '../../application/line/check-admission.use-case';
import { parseCheckoutCode } from '../../domain/checkout/checkout-code.value-object';
import { parseItemId } from '../../domain/sale/item-id.value-object';
import { parseUserId } from '../../domain/user/user-id.value-object';
import { Rejection } from '../../domain/shared/rejection';
import { ACCESS_RULE, AccessRule } from './access/access.decorator';
import { RejectionException } from './access/rejection.exception';
import { cookieOf } from './cookies';
import { ITEM_ID_PARAMS, InvalidParam, param } from './request-params';

export const ADMISSION_COOKIE = 'flashsale_admission';
export const ADMISSION_HEADER = 'admission';

/**
 * The waiting room's gate in front of POST /checkout and POST /purchase (the "buy" routes), kept apart from
 * them: a request without a valid admission for its buyer and sale is refused 403 admission_required before
 * anything runs. It runs after AccessGuard, which has identified the caller: for the buy routes registered on
 * Fastify directly through registerFastifyRoutes (given only with WAITING_ROOM=on, so the buy paths pay
 * nothing when it is off), and for any Nest route as a global guard (modules/http.module.ts).
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  private readonly enabled: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly admission: CheckAdmissionUseCase,
    private readonly auth: AuthSettings,
  ) {
    this.enabled = admission.enabled;
  }

  /** Whether the gate is on (WAITING_ROOM=on). */
  get active(): boolean {
    return this.enabled;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.enabled || context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    const refusal = this.check(rule, context.switchToHttp().getRequest<FastifyRequest>());
    if (refusal) throw new RejectionException(refusal);
    return true;
  }

  /** The refusal (403 admission_required...) unless a buy request carries a valid admission; null if it may pass. */
  check(rule: AccessRule | undefined, request: FastifyRequest): Rejection | null {
    if (!this.enabled || rule?.group !== 'buy') return null;
    // AccessGuard sets caller (null when there is none): without it the buyer could not be checked.
    if (request.caller === undefined) throw new Error('AdmissionGuard ran before AccessGuard');
    const query = (request.query ?? {}) as Record<string, unknown>;
    const purchase = request.routeOptions.url === '/purchase';
    const code = purchase ? parseCheckoutCode(query.code) : null;
    // A malformed code is the purchase's own 400 to answer.
    if (purchase && !code) return null;
    const buyer = request.caller?.userId ?? (this.auth.mode === 'trusted' ? parseUserId(query.user_id) : null);
    // A checkout's item as the checkout reads it. One it cannot read, or a checkout without a buyer (a trusted
    // user_id missing or malformed), is the checkout's own 400 to answer, as a malformed code is the purchase's:
    // it changes nothing, so it needs no admission, and the client learns what to fix.
    const item = purchase ? null : param(query, ITEM_ID_PARAMS, parseItemId, 'an item id');
    if (!purchase && (item instanceof InvalidParam || buyer === null)) return null;
    const itemId = item instanceof InvalidParam ? null : item;
    const result = this.admission.execute({ token: admissionOf(request), saleId: code?.saleId ?? null, itemId, buyer });
    if (!result.ok) return result.error;
    // A trusted purchase names no buyer, but its admission does: the purchase script then treats someone
    // else's code as unknown, as it does for signed-in buyers.
    // (A purchase only: a checkout's buyer is its user_id, whose absence is the checkout's own 400.)
    if (purchase && result.value && !request.caller) request.caller = { userId: result.value.userId, verified: true };
    return null;
  }
}

export function admissionOf(request: FastifyRequest): string | undefined {
  const header = request.headers[ADMISSION_HEADER];
  if (typeof header === 'string' && header !== '') return header.trim();
  return cookieOf(request, ADMISSION_COOKIE);
}
