import { Redis } from 'ioredis';
import { AuthSettings } from '../../src/application/identity/auth-settings';
import { Email } from '../../src/domain/identity/email.value-object';
import { UserId } from '../../src/domain/user/user-id.value-object';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { RedisSessionStore } from '../../src/infrastructure/redis/redis-session-store';
import { SilenceableRelay } from '../support/silenceable-relay';
import { eventually, rawRedis, wipeState } from '../support/test-env';
import { createHash } from 'node:crypto';

/*
 * Verified sessions are answered from memory for up to SESSION_CACHE_MS, on real Redis, with two stores
 * standing for two instances of the service: a sign-out on one is refused by the other at once, a session
 * is never kept unverified, and the memory is dropped whenever the sign-out notices could be missed.
 */

const HOUR = 3_600_000;
const CODE = 'code-digest';
const opened: RedisConnections[] = [];
let redis: Redis;
let n = 0;

async function store(cacheMs: number, env: Record<string, string> = {}): Promise<RedisSessionStore> {
  const connections = new RedisConnections(loadConfig({ ...process.env, ...env }));
  opened.push(connections);
  await connections.onModuleInit();
  return new RedisSessionStore(connections, new AuthSettings('session', HOUR, 5 * 60_000, 5, false, cacheMs));
}

const sessionKey = (token: string) => `flashsale:session:${createHash('sha256').update(token).digest('base64url')}`;
const channel = () => `flashsale:sessions:signed-out:db${opened[0]!.db}`;

/** A new session, verified through `via`, as sign-in and the one-time code make it. */
async function verifiedSession(via: RedisSessionStore): Promise<string> {
  const token = `token-${++n}-${Date.now()}`;
  await via.create(token, { userId: `user-${n}` as UserId, email: `u${n}@example.com` as Email }, CODE, HOUR, 60_000);
  expect(await via.verifyCode(token, CODE, 5)).toEqual({ kind: 'verified' });
  return token;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads the session until `s` keeps it (the first read subscribes to the notices; reads count only once the
 * subscription is up): a kept session does not see a change made behind the store's back.
 */
async function kept(s: RedisSessionStore, token: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const original = (await s.get(token))?.email;
    const marker = `changed-${Date.now()}@example.com`;
    await redis.hset(sessionKey(token), 'email', marker);
    const seen = (await s.get(token))?.email;
    await redis.hset(sessionKey(token), 'email', original!);
    if (seen !== marker) return;
    if (Date.now() > deadline) throw new Error('the store never kept the session');
    await sleep(20);
  }
}

beforeAll(async () => {
  await wipeState();
  redis = rawRedis();
});

afterAll(async () => {
  for (const s of opened) await s.onApplicationShutdown();
  redis.disconnect();
});

describe('a session store with SESSION_CACHE_MS', () => {
  let a: RedisSessionStore;
  let b: RedisSessionStore;

  beforeAll(async () => {
    a = await store(60_000);
    b = await store(60_000);
  });

  afterAll(async () => {
    await a.onApplicationShutdown();
    await b.onApplicationShutdown();
  });

  it('answers a verified session from memory once read', async () => {
    const token = await verifiedSession(b);
    await kept(a, token);
    expect(await a.get(token)).toMatchObject({ userId: `user-${n}`, verified: true });
  });

  it('refuses a session signed out on another instance at once', async () => {
    const token = await verifiedSession(b);
    await kept(a, token);
    const before = Date.now();
    await b.delete(token);
    const seen = await eventually(
      () => a.get(token),
      (s) => s === null,
      1_000,
      5,
    );
    expect(seen).toBeNull();
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it('never keeps an unverified session: verifying it on another instance shows at once', async () => {
    await kept(a, await verifiedSession(b)); // a is listening
    const token = `token-unverified-${Date.now()}`;
    await b.create(token, { userId: 'late' as UserId, email: 'late@example.com' as Email }, CODE, HOUR, 60_000);
    expect((await a.get(token))?.verified).toBe(false);
    expect(await b.verifyCode(token, CODE, 5)).toEqual({ kind: 'verified' });
    expect((await a.get(token))?.verified).toBe(true);
  });

  it('drops what it keeps when the notice connection drops, so nothing missed meanwhile is answered from memory', async () => {
    const token = await verifiedSession(b);
    await kept(a, token);
    const subscribers = async () => Number((await redis.pubsub('NUMSUB', channel()))[1]);
    const listeners = await subscribers();
    // Cut this process's notice connections (only those: other test files share the server): a notice sent
    // now would be lost. Then the session goes without one.
    const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ours = list
      .split('\n')
      .filter((line) => line.includes(` name=flashsale:sessions:${process.pid} `) && line.includes(` db=${opened[0]!.db} `));
    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours) await redis.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
    await redis.del(sessionKey(token));
    expect(await eventually(subscribers, (count) => count === listeners, 10_000)).toBe(listeners);
    expect(await a.get(token)).toBeNull();
  });
});

it('answers nothing from memory once its notice connection has gone silent without a word', async () => {
  const target = new URL(process.env.REDIS_URL!);
  const relay = await SilenceableRelay.start(target);
  const direct = await store(60_000);
  const relayed = await store(60_000, { REDIS_URL: relay.urlFor(target) });
  try {
    const token = await verifiedSession(direct);
    await kept(relayed, token);
    // The relayed store's connections now hear nothing, and it is not told: a sign-out's notice never reaches it.
    relay.silent = true;
    await direct.delete(token);
    await sleep(3_500);
    // Past 3 s unheard, memory is not trusted: the read goes to Redis (here it cannot get through, so it fails)
    // instead of answering the signed-out session from memory for SESSION_CACHE_MS (60 s here).
    await expect(relayed.get(token)).rejects.toThrow();
  } finally {
    await relayed.onApplicationShutdown();
    await direct.onApplicationShutdown();
    await relay.stop();
  }
});

it('keeps a session no longer than SESSION_CACHE_MS when nothing says it ended', async () => {
  const s = await store(300);
  try {
    const token = await verifiedSession(s);
    await kept(s, token);
    await redis.del(sessionKey(token)); // deleted by hand: no notice
    expect(await s.get(token)).not.toBeNull();
    await sleep(350);
    expect(await s.get(token)).toBeNull();
  } finally {
    await s.onApplicationShutdown();
  }
});

it('with SESSION_CACHE_MS=0 reads Redis every time', async () => {
  const s = await store(0);
  try {
    const token = await verifiedSession(s);
    // Read, and give a store that kept sessions the time to subscribe and keep the next read.
    await s.get(token);
    await sleep(200);
    await s.get(token);
    await redis.hset(sessionKey(token), 'userId', 'changed');
    expect((await s.get(token))?.userId).toBe('changed');
  } finally {
    await s.onApplicationShutdown();
  }
});
