import { MAIN, RATE_LIMITED, SESSION, assertSessionUsers } from '../lib/instances';
import { writeList } from '../lib/sales';
import { S } from '../lib/settings';
import { call } from '../lib/http';
import { mainSale } from '../lib/sales';
import { sessionTokens } from '../lib/sessions';
import { TARGETS } from '../lib/settings';
import type { Ctx, LoadScenario } from '../lib/scenario';
import { checkoutLoad, pairsLoad } from './buy';

/*
 * What rate limiting and session auth cost on the buy paths: the same loads as the buy group, on an
 * instance with RATE_LIMIT=on (the per-IP buy limit out of reach, since all load comes from 127.0.0.1) and
 * one with AUTH_MODE=session (S.sessionUsers users signed in through the API, each request with one user's
 * bearer token). Each row's cost is against the buy group's row in the same run.
 *
 * Session auth is priced on the pairs only: a user has one open checkout per sale, so the accepted-checkout
 * load (a new buyer each request) has no session equivalent short of signing in a user per request. Its
 * baseline is `pairs-users`: the same S.sessionUsers buyers in turn and the same headers in trusted mode, so
 * the difference is authentication alone, not a few buyers buying again and again instead of new ones.
 */

/** A checkout with RATE_LIMIT=on carries the RateLimit header: the limiter runs. */
async function assertLimiterRuns(ctx: Ctx): Promise<void> {
  const sale = await mainSale(ctx);
  const r = await call(ctx.server.port, 'POST', `/checkout?user_id=limiter-check&id=${sale.pool[0]}`);
  if (r.status !== 200 || typeof r.headers['ratelimit'] !== 'string')
    throw new Error(`RATE_LIMIT=on: a checkout answered ${r.status} without a RateLimit header`);
}

export const COSTS: readonly LoadScenario[] = [
  {
    name: 'checkout-ratelimit',
    group: 'costs',
    label: 'POST /checkout accepted, RATE_LIMIT=on',
    on: RATE_LIMITED,
    cost: { baseline: 'checkout', max: TARGETS.rateLimitCost },
    load: async (ctx) => {
      await assertLimiterRuns(ctx);
      return checkoutLoad(ctx);
    },
  },
  {
    name: 'pairs-ratelimit',
    group: 'costs',
    label: 'checkout then purchase, RATE_LIMIT=on',
    on: RATE_LIMITED,
    cost: { baseline: 'pairs', max: TARGETS.rateLimitCost },
    load: async (ctx) => {
      await assertLimiterRuns(ctx);
      return pairsLoad(ctx);
    },
  },
  {
    name: 'pairs-users',
    group: 'costs',
    label: `checkout then purchase, ${S.sessionUsers} buyers in turn (trusted; the baseline of the session row)`,
    on: MAIN,
    load: (ctx) => {
      assertSessionUsers();
      const users = Array.from({ length: S.sessionUsers }, (_, i) => `bench-buyer-${i}`);
      return pairsLoad(ctx, { users: writeList('buyers', users) });
    },
  },
  {
    name: 'pairs-session',
    group: 'costs',
    label: 'checkout then purchase, AUTH_MODE=session (bearer tokens)',
    on: SESSION,
    cost: { baseline: 'pairs-users', max: TARGETS.sessionCost },
    load: async (ctx) => {
      assertSessionUsers();
      return pairsLoad(ctx, { tokens: await sessionTokens(ctx) });
    },
  },
];
