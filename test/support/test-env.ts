import { Redis } from 'ioredis';
import { Client } from 'pg';

/** Wipes the test Redis db and the test database's tables. Refuses anything that is not the test setup. */
export async function wipeState(): Promise<void> {
  const redisUrl = process.env.REDIS_URL!;
  const dbUrl = process.env.DATABASE_URL!;
  if (process.env.FLASHSALE_TEST_ENV !== '1' || !/_test(\?|$)/.test(dbUrl)) throw new Error(`refusing to wipe ${dbUrl}`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  try {
    await pg.query('TRUNCATE order_items, orders, items, sales, checkout_attempt_entries, accounts RESTART IDENTITY CASCADE');
  } finally {
    await pg.end();
  }
}

/** A direct PostgreSQL client for assertions (what is really in the tables). */
export async function withPg<T>(fn: (pg: Client) => Promise<T>): Promise<T> {
  const pg = new Client({ connectionString: process.env.DATABASE_URL });
  await pg.connect();
  try {
    return await fn(pg);
  } finally {
    await pg.end();
  }
}

/** A direct Redis client for assertions. */
export function rawRedis(): Redis {
  return new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
}

/** How many entries were ever added to a stream (0 when it does not exist); trimming does not change it. */
export async function streamEntriesAdded(redis: Redis, key: string): Promise<number> {
  if (!(await redis.exists(key))) return 0;
  const info = (await redis.xinfo('STREAM', key)) as unknown[];
  return Number(info[info.indexOf('entries-added') + 1]);
}

export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
