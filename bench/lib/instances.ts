import { startApp } from './app';
import { call } from './http';
import { startNode, waitFor } from './processes';
import { ADMIN_TOKEN, REDIS_URL, S } from './settings';
import type { Instance, Server, WorldName } from './scenario';
import type { WrkLoad } from './wrk';

/*
 * The servers scenarios run on. Worlds run in this order, each on freshly wiped data:
 *   ceilings       the bare route (first run), the minimal Nest route, bare Fastify + one EVALSHA
 *   edges          no recurring sales: the bench creates sales through the admin API to reach the states
 *                  refusals need (a sale that ended, one not started, one whose cap is reached)
 *   memory         no recurring sales: the app idle, then with a sale, then with open event streams
 *   idle           no recurring sales: what an instance costs with no requests, with no sale and with a day's
 *                  sales (scenarios/idle.ts)
 *   main           the recurring sale (scheduler on): the worker drain, then every app instance below
 *   fleet          only when asked for (npm run bench -- fleet): its own Redis Cluster, primary and replica,
 *                  API instances and HAProxy (scenarios/fleet.ts)
 *   ceilings-last  the bare route again
 */
export const WORLD_ORDER: readonly WorldName[] = ['ceilings', 'edges', 'memory', 'idle', 'main', 'fleet', 'ceilings-last'];

/** Environment of every app instance in a world, on top of lib/app.ts's appEnv. */
export const WORLD_ENV: Record<'edges' | 'memory' | 'idle' | 'main', Record<string, string>> = {
  edges: { SALE_SCHEDULER_ENABLED: 'false', ADMIN_TOKEN },
  // The waiting room on, its lines opening two hours ahead: the memory of waiting buyers is measured on a sale
  // that has not started (nobody admitted, every place a lottery place). Nothing else here uses it.
  memory: {
    SALE_SCHEDULER_ENABLED: 'false',
    ADMIN_TOKEN,
    WAITING_ROOM: 'on',
    WAITING_ROOM_SECRET: 'bench-waiting-room-secret-not-a-secret',
    WAITING_ROOM_OPENS_BEFORE_SECONDS: '7200',
  },
  idle: { SALE_SCHEDULER_ENABLED: 'false', ADMIN_TOKEN },
  main: {},
};

const describe = (env: Record<string, string>) =>
  Object.entries(env)
    .filter(([k]) => k !== 'ADMIN_TOKEN')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function appInstance(name: string, world: 'edges' | 'main', env: Record<string, string> = {}): Instance {
  const all = { ...WORLD_ENV[world], ...env };
  return {
    name,
    world,
    settings: describe({ AUTH_MODE: 'trusted', RATE_LIMIT: 'off', LOG_REQUEST_SAMPLE_RATE: 'default', ...all }),
    start: (port) => startApp(name, all, port),
  };
}

/** A ceiling server: a child running one of bench/children/, ready once `method path` answers 200. */
async function startCeiling(name: string, file: string, port: number, method: 'GET' | 'POST', path: string): Promise<Server> {
  const child = startNode(name, ['-r', 'ts-node/register/transpile-only', file], { PORT: String(port), REDIS_URL });
  await waitFor(name, async () => ((await call(port, method, path)).status === 200 ? true : undefined), 60_000, child);
  return { name, child, port, pid: child.process.pid ?? 0 };
}

/** What wrk sends the bare route: the yardstick every ratio is taken against. */
export const BARE_LOAD: WrkLoad = { script: 'static', method: 'POST', path: '/bare', expect: { status: 200, body: '"ok":true' } };

function bareInstance(world: WorldName, name = 'bare'): Instance {
  return {
    name,
    world,
    settings: 'bench/children/bare-server.ts',
    start: (port) => startCeiling(name, 'bench/children/bare-server.ts', port, 'GET', '/bare'),
  };
}

export const BARE_FIRST = bareInstance('ceilings');
export const BARE_LAST = bareInstance('ceilings-last');
/** A bare route of its own that runs through the whole bench, measured before, between and after each
 *  scenario's slices (lib/wrk.ts: measure), so each ratio is against the machine of those seconds. */
export const BARE_AROUND = bareInstance('ceilings', 'bare-around');
export const NEST: Instance = {
  name: 'nest',
  world: 'ceilings',
  settings: 'bench/children/nest-server.ts',
  start: (port) => startCeiling('nest', 'bench/children/nest-server.ts', port, 'POST', '/nest'),
};

/** The set-up: trusted callers, no rate limiting, the default log sample, the recurring sale. */
export const MAIN = appInstance('app-main', 'main');
/** Rate limiting on. Every request comes from 127.0.0.1, so the per-IP buy limit is raised out of reach; the
 *  per-user limits stay at their defaults (each buyer sends one or two requests). */
export const RATE_LIMITED = appInstance('app-ratelimit', 'main', { RATE_LIMIT: 'on', RATE_LIMIT_BUY_IP: '100000000/1s' });
/** Session auth and a small per-address buy limit: a bot sending forged sessions from one address. */
export const RATE_LIMITED_SESSION = appInstance('app-ratelimit-session', 'main', {
  AUTH_MODE: 'session',
  RATE_LIMIT: 'on',
  RATE_LIMIT_BUY_IP: '30/10s',
});
/** Session auth: buyers sign in through the API first (lib/sessions.ts). */
export const SESSION = appInstance('app-session', 'main', { AUTH_MODE: 'session' });
/** Every request logged (the default logs a 1% sample). */
export const LOG_ALL = appInstance('app-logall', 'main', { LOG_REQUEST_SAMPLE_RATE: '1' });
/** Sales made through the admin API at the states the refusals need. */
export const EDGES = appInstance('app-edges', 'edges');

/** Checked where it matters: the session scenario needs a free user for every connection. */
export function assertSessionUsers(): void {
  if (S.sessionUsers <= S.connections)
    throw new Error(`BENCH_SESSION_USERS=${S.sessionUsers} must exceed BENCH_CONNECTIONS=${S.connections}: each connection holds a user`);
}
