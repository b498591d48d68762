import { SetMetadata } from '@nestjs/common';
import { RateLimitGroup } from '../../../application/access/rate-limit';

/**
 * How a route is protected:
 * - group: which rate limits apply (null: none, for health checks, metrics and static pages);
 * - caller: 'buyer' needs a verified caller (session or JWT; trusted mode takes user_id as given),
 *   'session' any session (before its code is verified), 'optional' no credentials or good ones (bad ones are
 *   still 401), 'none' no credentials looked at.
 */
export interface AccessRule {
  readonly group: RateLimitGroup | null;
  readonly caller: 'buyer' | 'session' | 'optional' | 'none';
}

export const ACCESS_RULE = 'flashsale:access';
export const Access = (rule: AccessRule) => SetMetadata(ACCESS_RULE, rule);
