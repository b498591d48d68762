import { Client } from 'pg';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';
import { RedisTopology } from '../redis/redis-topology';

/**
 * Whether Redis and PostgreSQL answer at all, within `timeoutMs`: for short-lived processes (the CLI) that
 * should say so in one line rather than wait for connections that retry for ever. Null when both answer.
 */
export async function unreachable(config: AppConfig, timeoutMs = 3_000): Promise<string | null> {
  const topology = new RedisTopology(config);
  const databaseUrl = config.DATABASE_URL;
  const redis = topology.connect({ lazyConnect: true, maxRetriesPerRequest: 0, noRetry: true });
  redis.on('error', () => undefined);
  try {
    await within(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
      'Redis',
    );
  } catch (e) {
    return `Redis is not reachable: ${topology.describe()} (${(e as Error).message})`;
  } finally {
    redis.disconnect();
  }
  const pg = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await within(
      pg.connect().then(() => pg.query('SELECT 1')),
      timeoutMs,
      'PostgreSQL',
    );
  } catch (e) {
    return `PostgreSQL is not reachable at ${databaseUrl.replace(/\/\/[^@]*@/, '//')} (${(e as Error).message})`;
  } finally {
    await pg.end().catch(() => undefined);
  }
  return null;
}
