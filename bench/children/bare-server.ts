import Fastify from 'fastify';
import { Redis } from 'ioredis';

/*
 * Two of the ceilings, in one process: the same Fastify version as the app and nothing else.
 *   POST /bare        a small JSON: the yardstick every scenario is a fraction of (no Nest, no validation,
 *                     no Redis);
 *   POST /bare-redis  the same plus one small EVALSHA per request (a one-command script, HGET of a small
 *                     hash) on the bench's Redis db: about the least a route that asks Redis can do.
 * GET /bare answers too (readiness).
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/13', { maxRetriesPerRequest: 2 });
// ioredis sends EVALSHA, and EVAL once if Redis answers NOSCRIPT.
redis.defineCommand('ceilingRead', { numberOfKeys: 1, lua: "return redis.call('HGET', KEYS[1], ARGV[1])" });
const ceilingRead = (key: string, field: string) =>
  (redis as unknown as { ceilingRead(k: string, f: string): Promise<string | null> }).ceilingRead(key, field);

const app = Fastify({ logger: false });
const bare = async () => ({ ok: true, service: 'bare-fastify' });
app.get('/bare', bare);
app.post('/bare', bare);
app.post('/bare-redis', async () => ({ ok: true, value: await ceilingRead('bench:ceiling', 'value') }));

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }).then(
  (address) => console.log(`bare fastify listening on ${address}`),
  (e: Error) => {
    console.error(e);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => redis.quit().finally(() => process.exit(0))));
