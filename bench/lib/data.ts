import { Redis } from 'ioredis';
import { Client } from 'pg';
import { DATABASE_URL, REDIS_URL } from './settings';

/*
 * The bench's own PostgreSQL database and Redis db index, wiped before each world and at the end. The app
 * is a black box: the bench reads a few of its Redis keys (streams still to drain, a sale's stock) and
 * PostgreSQL tables (orders written) to set up and check, never to take a measurement's place.
 */

/** The bench wipes its database and Redis db: refuse anything that does not look like its own. */
export function assertOwnData(): void {
  const db = new URL(DATABASE_URL).pathname.slice(1);
  const redisDb = Number(new URL(REDIS_URL).pathname.slice(1) || '0');
  if (!/bench/i.test(db))
    throw new Error(`DATABASE_URL names database "${db}": the bench only wipes a database whose name contains "bench"`);
  if (!(redisDb > 0)) throw new Error(`REDIS_URL ${REDIS_URL} names Redis db 0: give the bench its own db index (e.g. /13)`);
}

export class Data {
  readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  readonly pg = new Client({ connectionString: DATABASE_URL });
  readonly redisDb = Number(new URL(REDIS_URL).pathname.slice(1));

  async open(): Promise<void> {
    await this.pg.connect();
  }

  /**
   * Other sessions on this machine may use other db indexes and databases; refuse to wipe ours if anyone
   * else is connected to it (another bench, or tests pointed at it).
   */
  async assertUnused(): Promise<void> {
    const me = await this.redis.client('ID');
    const list = String(await this.redis.client('LIST'));
    const others = list.split('\n').filter((l) => l.includes(` db=${this.redisDb} `) && !l.startsWith(`id=${me} `));
    if (others.length)
      throw new Error(`Redis db ${this.redisDb} is in use by ${others.length} other connection(s); pick another with BENCH_REDIS_URL`);
    const { rows } = await this.pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if (rows[0]!.n > 0)
      throw new Error(`database ${this.pg.database} has ${rows[0]!.n} other session(s); pick another with BENCH_DATABASE_URL`);
  }

  async wipe(): Promise<void> {
    await this.redis.flushdb();
    const { rows } = await this.pg.query<{ t: string }>(
      `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    if (rows.length > 0) await this.pg.query(`TRUNCATE ${rows.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
  }

  /** Entries the app's background loops have not yet moved out of Redis (attempts to PG, outbox to queue). */
  async backlog(saleIds: readonly number[]): Promise<number> {
    const keys = ['flashsale:attempts', ...saleIds.flatMap((id) => [`{sale:${id}}:attempts`, `{sale:${id}}:outbox`])];
    const lengths = await Promise.all(keys.map((k) => this.redis.xlen(k)));
    return lengths.reduce((a, b) => a + b, 0);
  }

  /** Units left of each item (null: not an item of the sale). */
  async stock(saleId: number, items: readonly number[]): Promise<(number | null)[]> {
    if (!items.length) return [];
    const left = await this.redis.hmget(`{sale:${saleId}}:stock`, ...items.map(String));
    return left.map((v) => (v === null ? null : Number(v)));
  }

  async count(table: 'orders' | 'order_items'): Promise<number> {
    return (await this.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  }

  async versions(): Promise<{ redis: string; postgres: string }> {
    const info = await this.redis.info('server');
    const pgv = await this.pg.query<{ server_version: string }>('SHOW server_version');
    return { redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?', postgres: pgv.rows[0]!.server_version };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.pg.end();
  }
}
