import { SetMetadata } from '@nestjs/common';
import { RateLimitGroup } from '../../../application/access/rate-limit';

/**
 * How a route is protected:
 * - group: which rate limits apply (null: none, for health checks, metrics and static pages);
 * - caller: 'buyer' needs a verified caller (session or JWT; trusted mode takes user_id as given),
 *   'session' any session (before its code is verified), 'optional' no credentials or good ones (bad ones are
 *   still 401), 'none' no credentials looked at;
 * - countedByUseCase: see below.
 */
export interface AccessRule {
  readonly group: RateLimitGroup | null;
  readonly caller: 'buyer' | 'session' | 'optional' | 'none';
  /**
   * The route's use case counts the request's windows (request.uncountedLimits) where the ledger can count them
   * in its own call (one server or Sentinel): checkout and purchase. Its door passes them on, and counts them
   * itself before any answer it gives without the use case.
   */
  readonly countedByUseCase?: boolean;
}

export const ACCESS_RULE = 'flashsale:access';
export const Access = (rule: AccessRule) => SetMetadata(ACCESS_RULE, rule);
