import type { FastifyRequest } from 'fastify';
import { RejectionCode } from '../../domain/shared/rejection';
import { UserId, parseUserId } from '../../domain/user/user-id.value-object';
import { RejectionException } from './access/rejection.exception';
import { InvalidParam, param } from './request-params';

export const USER_ID_EXPECTED = '1 to 64 characters of A-Z a-z 0-9 _ . : -';

/**
 * The buyer of a checkout or purchase: the authenticated caller (a user_id that names someone else is
 * refused), or in trusted mode the user_id parameter as given by the upstream.
 */
export function buyerOf(request: FastifyRequest, query: Record<string, unknown>): UserId | InvalidParam {
  const caller = request.caller;
  if (!caller) return param(query, ['user_id'], parseUserId, USER_ID_EXPECTED);
  if (query.user_id === undefined) return caller.userId;
  // Malformed (empty, given twice, bad characters) is a 400 as in trusted mode; well-formed but someone else, 403.
  const named = param(query, ['user_id'], parseUserId, USER_ID_EXPECTED);
  if (named instanceof InvalidParam) return named;
  if (named !== caller.userId) {
    throw new RejectionException({ code: RejectionCode.UserMismatch, detail: 'user_id must be the signed-in user (or left out).' });
  }
  return caller.userId;
}
