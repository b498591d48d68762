// Waits until a dependency answers, for the set-up scripts: exit 0 when up, 1 after the timeout.
//   node scripts/wait-for.mjs redis <url> <timeoutMs>
//   node scripts/wait-for.mjs tcp <host:port> <timeoutMs>
//   node scripts/wait-for.mjs postgres <url> <timeoutMs>    (logs in, so it checks role, password and db)
//   node scripts/wait-for.mjs redis-version <url> <major>   prints the server's version; exit 1 when known
//                                                           to be older (a server hiding INFO gets the benefit of the doubt)
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, target, timeoutArg] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg ?? 0);

function tcp(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    s.setTimeout(1000);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

async function redis(url) {
  const Redis = require('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try { await r.connect(); return (await r.ping()) === 'PONG'; } catch { return false; } finally { r.disconnect(); }
}

/** The server's version ("7.2.4"), or null when it cannot be read. */
async function redisVersion(url) {
  const Redis = require('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try { await r.connect(); return /redis_version:([0-9.]+)/.exec(await r.info('server'))?.[1] ?? null; } catch { return null; } finally { r.disconnect(); }
}

if (kind === 'redis-version') {
  const version = await redisVersion(target);
  process.stdout.write(`${version ?? 'unknown'}\n`);
  process.exit(version === null || Number(version.split('.')[0]) >= Number(timeoutArg) ? 0 : 1);
}

async function postgres(url) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try { await c.connect(); await c.query('select 1'); return true; } catch { return false; } finally { await c.end().catch(() => {}); }
}

async function once() {
  if (kind === 'tcp') { const [h, p] = target.split(':'); return tcp(h, p); }
  if (kind === 'redis') return redis(target);
  if (kind === 'postgres') return postgres(target);
  throw new Error(`unknown kind ${kind}`);
}

for (;;) {
  if (await once()) process.exit(0);
  if (Date.now() >= deadline) process.exit(1);
  await new Promise((r) => setTimeout(r, 200));
}
