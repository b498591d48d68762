/*
 * The bench's knobs (environment variables, documented at the top of scripts/bench.sh) and the targets the
 * issue judges the app by.
 */

function integer(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  return n;
}

function list(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const S = {
  /** Seconds of each measured wrk run, and of the warm-up run before it (thrown away). */
  duration: integer('BENCH_DURATION', 10),
  warmup: integer('BENCH_WARMUP', 2, 0),
  /** Each measured run in this many slices, each between two runs of the bare route of BENCH_BARE_SLICE
   *  seconds (0: one run, and every ratio against the bare route's first and last runs only). */
  slices: integer('BENCH_SLICES', 5, 0),
  bareSlice: integer('BENCH_BARE_SLICE', 2, 0),
  /** wrk's connections and threads (-c, -t): see scripts/bench.sh for why one thread. */
  connections: integer('BENCH_CONNECTIONS', 64),
  threads: integer('BENCH_THREADS', 1),
  /** Scenario or group names to run (empty: all). The bare route always runs: it is the yardstick. */
  only: list('BENCH_ONLY'),
  /** The recurring sale of the main world: many units per item, so the buy scenarios never run out. */
  saleItems: integer('BENCH_SALE_ITEMS', 10_000),
  unitsPerItem: integer('BENCH_UNITS_PER_ITEM', 200),
  /** Open GET /sales/:id/events streams (the streams scenario and the memory figures). */
  streams: integer('BENCH_STREAMS', 2000),
  /** Signed-in users the session scenario cycles through: more than `connections` (each connection holds one
   *  from its checkout to its purchase), and not many more: each costs two scrypt hashes to make. */
  sessionUsers: integer('BENCH_SESSION_USERS', 96),
  drainOrders: integer('BENCH_DRAIN_ORDERS', 20_000),
  drainItemsPerOrder: integer('BENCH_DRAIN_ITEMS_PER_ORDER', 2),
  /** App instances run with node --cpu-prof, one .cpuprofile each in bench/results/profiles/ (written when
   *  the instance stops): where an instance's time goes, for `npx ts-node bench/profile-summary.ts`. */
  profile: process.env.BENCH_PROFILE === '1',
  /** Node flags for the app instances (e.g. V8's GC settings), to try one without changing the code. */
  appNodeArgs: (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean),
};

export const DATABASE_URL = process.env.DATABASE_URL ?? '';
export const REDIS_URL = process.env.REDIS_URL ?? '';

/** Slices a run is cut into: BENCH_SLICES, but at least a second each (0: one run, no bare runs around it). */
export const SLICES = Math.min(S.slices, S.duration);
/** The warm-up before each slice and each bare run around it, 1 s (none if BENCH_WARMUP=0): both come back from
 *  idling. */
export const SLICE_WARMUP_SECONDS = Math.min(1, S.warmup);

/** Items of the main sale bought out first, for the item_sold_out refusal. */
export const SOLD_OUT_ITEMS = 10;

/** The targets: a ratio of the bare route's req/s (same run), and p99 on every path. */
export const TARGETS = {
  finalRefusal: 0.65,
  saleRead: 0.65,
  acceptedCheckout: 0.4,
  pairs: 0.33,
  p99Ms: 10,
  rateLimitCost: 0.15,
  sessionCost: 0.1,
} as const;

/** The admin token of the worlds whose sales the bench creates through the admin API. */
export const ADMIN_TOKEN = 'bench-admin-token-not-a-secret';

/** True when BENCH_ONLY is empty or names the scenario or its group. */
export function selected(name: string, group: string): boolean {
  return S.only.length === 0 || S.only.includes(name) || S.only.includes(group);
}
