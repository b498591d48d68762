import { BARE_FIRST, BARE_LAST, BARE_LOAD, NEST } from '../lib/instances';
import type { LoadScenario } from '../lib/scenario';

/*
 * The ceilings, measured in the same run as everything else: the bare Fastify POST route (first and last; each
 * scenario's slices are also flanked by short runs of it, lib/wrk.ts: measure, and its ratio is against
 * those), a minimal NestJS-on-Fastify POST route, and bare Fastify with one small EVALSHA per request on the
 * same Redis.
 */

export const bareFirst: LoadScenario = {
  name: 'bare-first',
  group: 'ceilings',
  label: 'bare Fastify POST route (first run)',
  on: BARE_FIRST,
  always: true,
  load: async () => BARE_LOAD,
};

export const bareEvalsha: LoadScenario = {
  name: 'bare-evalsha',
  group: 'ceilings',
  label: 'bare Fastify + one small EVALSHA per request (ceiling)',
  on: BARE_FIRST,
  load: async (ctx) => {
    await ctx.data.redis.hset('bench:ceiling', 'value', '42');
    return { script: 'static', method: 'POST', path: '/bare-redis', expect: { status: 200, body: '"value":"42"' } };
  },
};

export const nest: LoadScenario = {
  name: 'nest',
  group: 'ceilings',
  label: 'a minimal NestJS-on-Fastify POST route (ceiling)',
  on: NEST,
  load: async () => ({ script: 'static', method: 'POST', path: '/nest', expect: { status: 200, body: '"ok":true' } }),
};

export const bareLast: LoadScenario = { ...bareFirst, name: 'bare-last', label: 'bare Fastify POST route (last run)', on: BARE_LAST };

export const CEILINGS: readonly LoadScenario[] = [bareFirst, bareEvalsha, nest];
export const LAST: readonly LoadScenario[] = [bareLast];
