import { call } from './http';
import { Child, PROFILE_DIR, log, startNode, stopChild, waitFor } from './processes';
import { DATABASE_URL, REDIS_URL, S } from './settings';
import type { Data } from './data';

/*
 * The app under test: `node dist/main.js` (built by scripts/setup.sh) as a child on a free port of 127.0.0.1,
 * configured only through its environment.
 */

/**
 * Recurring sales are aligned to multiples of SALE_DURATION_SECONDS since the epoch, so the window holding
 * "now" may end at any moment. Take the longest length the config allows (31 days) whose current window
 * still has more than an hour to run: the sale cannot end mid-bench.
 */
function saleDurationSeconds(now = Date.now()): number {
  for (let days = 31; days > 1; days--) {
    const seconds = days * 86_400;
    if (seconds - (Math.floor(now / 1000) % seconds) > 3600) return seconds;
  }
  throw new Error('unreachable: two consecutive day lengths cannot both end within the hour');
}

export const SALE_DURATION_SECONDS = saleDurationSeconds();

/** The app's environment: the issue's set-up (trusted callers, no rate limiting, the default log sample). */
export function appEnv(port: number, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL,
    REDIS_URL,
    LOG_LEVEL: 'log',
    // The hot path itself, as in a deployment behind a gateway that authenticates and limits; the costs
    // group measures session auth and rate limiting on their own.
    AUTH_MODE: 'trusted',
    RATE_LIMIT: 'off',
    // The order worker is measured on its own (the drain); here it would share the two cores with the HTTP
    // path and blur what the HTTP numbers mean. The outbox relay and the attempts writer still run.
    WORKER_ENABLED: 'false',
    WORKER_ONLY: 'false',
    // With no worker, no order reaches PostgreSQL, so the reconciler would find every purchase older than
    // its grace missing and queue it again: a burst of work of the bench's own making in whatever scenario
    // runs at that moment. Off; it is not part of any request's cost.
    RECONCILE_INTERVAL_MS: '0',
    SALE_SCHEDULER_ENABLED: 'true',
    SALE_DURATION_SECONDS: String(SALE_DURATION_SECONDS),
    SALE_ITEMS: String(S.saleItems),
    SALE_UNITS_PER_ITEM: String(S.unitsPerItem),
    // Large enough that no buy scenario meets the sale cap or a per-user limit.
    SALE_CAP: '100000000',
    SALE_PER_USER_LIMIT: '100000',
    // LOG_REQUEST_SAMPLE_RATE is left to the app's default (a 1% sample); the logging group sets it to 1.
    ...overrides,
  };
}

export interface App {
  readonly name: string;
  readonly child: Child;
  readonly port: number;
  readonly pid: number;
  /** What this instance was started with on top of appEnv's. */
  readonly overrides: Record<string, string>;
}

/** Starts an instance and waits until it is ready (Redis, PostgreSQL and the queue answer). */
/** `nodeArgs`: node flags for this instance only (the memory scenario's GC on signal). */
export async function startApp(
  name: string,
  overrides: Record<string, string>,
  port: number,
  nodeArgs: readonly string[] = [],
): Promise<App> {
  const started = Date.now();
  const profile = S.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = startNode(name, [...profile, ...S.appNodeArgs, ...nodeArgs, 'dist/main.js'], appEnv(port, overrides));
  await waitFor(
    'GET /health/ready',
    async () => ((await call(port, 'GET', '/health/ready')).status === 200 ? true : undefined),
    120_000,
    child,
  );
  const shown = Object.entries(overrides)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  log(`${name} up on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s${shown ? `: ${shown}` : ''}`);
  return { name, child, port, pid: child.process.pid ?? 0, overrides };
}

export function stopApp(app: App): Promise<void> {
  return stopChild(app.child);
}

/** Lets the app's background loops catch up, so a scenario does not pay for the previous one's leftovers. */
export async function settle(data: Data, server: { readonly child: Child }, saleIds: readonly number[]): Promise<void> {
  await waitFor(
    'the attempts and outbox streams to drain',
    async () => ((await data.backlog(saleIds)) === 0 ? true : undefined),
    120_000,
    server.child,
  );
}
