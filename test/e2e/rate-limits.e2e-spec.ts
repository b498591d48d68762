import request from 'supertest';
import { RateLimiter } from '../../src/application/access/rate-limiter.port';
import { SessionStore } from '../../src/application/identity/session-store.port';
import { SaleCalendar } from '../../src/application/sales/sale-calendar.service';
import { RedisRateLimiter } from '../../src/infrastructure/redis/redis-rate-limiter';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * Sliding-window limits per client IP and per user, in Redis: they hit exactly at their quota under
 * concurrent requests, answer 429 problem+json with Retry-After and the RateLimit-Policy / RateLimit fields,
 * and hold across instances that share Redis. A window an instance saw full refuses there without Redis
 * until it frees.
 */

const LIMITS = {
  RATE_LIMIT: 'on',
  RATE_LIMIT_BUY_IP: '20/10s',
  RATE_LIMIT_BUY_USER: '5/10s',
  RATE_LIMIT_AUTH_IP: '50/1m',
  RATE_LIMIT_AUTH_USER: '3/1m',
};

let a: TestApp;
let b: TestApp;
let items: number[];
let saleId: number;

beforeAll(async () => {
  await wipeState();
  [a, b] = await Promise.all([startTestApp(LIMITS), startTestApp(LIMITS)]);
  const sale = await createOpenSale(a, { itemsTotal: 100, perUserLimit: 100 });
  saleId = sale.id;
  items = await itemIdsOf(a, sale);
  await b.app.get(SaleCalendar).refresh();
});

afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** Empties every window, in Redis and in what each instance remembers of full ones. */
async function emptyWindows(...apps: TestApp[]): Promise<void> {
  const { rawRedis } = await import('../support/test-env');
  const redis = rawRedis();
  const keys = await redis.keys('{rl:*');
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  for (const t of apps) (t.app.get(RateLimiter) as RedisRateLimiter).forgetFullWindows();
}

// Each test starts with empty windows.
beforeEach(() => emptyWindows(a, b));

/** flashsale_rate_limited_total of the buy group on an instance's /metrics, by where the answer came from. */
async function buyRefusals(t: TestApp): Promise<{ memory: number; redis: number }> {
  const text = (await request(t.url).get('/metrics')).text;
  const count = (from: string) =>
    Number(new RegExp(`^flashsale_rate_limited_total\\{group="buy",answered_from="${from}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { memory: count('memory'), redis: count('redis') };
}

const checkout = (t: TestApp, user: string, i: number) =>
  request(t.url)
    .post('/checkout')
    .query({ user_id: user, id: items[i % items.length] });
const limited = (rs: request.Response[]) => rs.filter((r) => r.status === 429);

describe('rate limits', () => {
  it('let exactly the per-user quota through when one user fires at once, and explain the rest', async () => {
    const before = await buyRefusals(a);
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => checkout(a, 'hasty', i)));
    const after = await buyRefusals(a);
    expect(responses.filter((r) => r.status !== 429)).toHaveLength(5);
    const refused = limited(responses);
    expect(refused).toHaveLength(7);
    for (const r of refused) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('rate_limited');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(10);
      // Every window when Redis answered; only the full one when the instance already knew it full.
      expect(r.headers['ratelimit-policy']).toMatch(/^("buy-ip";q=20;w=10, )?"buy-user";q=5;w=10$/);
      expect(r.headers['ratelimit']).toMatch(/^("buy-ip";r=\d+;t=\d+, )?"buy-user";r=0;t=\d+$/);
    }
    const fromRedis = refused.filter((r) => r.headers['ratelimit'].startsWith('"buy-ip"'));
    expect(fromRedis.length).toBe(after.redis - before.redis);
    expect(refused.length - fromRedis.length).toBe(after.memory - before.memory);
    const allowed = responses.filter((r) => r.status !== 429);
    const remaining = allowed.map((r) => Number(/"buy-user";r=(\d+)/.exec(r.headers['ratelimit'])![1])).sort();
    expect(remaining).toEqual([0, 1, 2, 3, 4]);
  });

  it('let exactly the per-IP quota through when many users share one address', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => checkout(a, `crowd-${i}`, i)));
    expect(responses.filter((r) => r.status !== 429)).toHaveLength(20);
    for (const r of limited(responses)) expect(r.headers['ratelimit']).toMatch(/"buy-ip";r=0;/);
  });

  it('hold across two instances that share Redis', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => checkout(i % 2 ? b : a, 'roaming', i)));
    expect(responses.filter((r) => r.status !== 429)).toHaveLength(5);
    expect(limited(responses)).toHaveLength(5);
  });

  it('refuse a client past its limit from memory until its window frees, then let it in again', async () => {
    const quick = await startTestApp({ ...LIMITS, RATE_LIMIT_BUY_USER: '3/3s' });
    try {
      await quick.app.get(SaleCalendar).refresh();
      const before = await buyRefusals(quick);
      const first = await Promise.all(Array.from({ length: 6 }, (_, i) => checkout(quick, 'bot', i)));
      expect(first.filter((r) => r.status !== 429)).toHaveLength(3);

      // The instance now knows the window full: a burst is refused without asking Redis, and still explained.
      const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => checkout(quick, 'bot', i)));
      expect(limited(burst)).toHaveLength(30);
      for (const r of burst) {
        expect(r.body.code).toBe('rate_limited');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(r.headers['ratelimit-policy']).toBe('"buy-user";q=3;w=3');
        expect(r.headers['ratelimit']).toMatch(/^"buy-user";r=0;t=[123]$/);
      }
      const after = await buyRefusals(quick);
      expect(after.memory + after.redis - before.memory - before.redis).toBe(33);
      expect(after.memory - before.memory).toBeGreaterThanOrEqual(30);

      // Once its requests have left the window, the client gets its quota again: memory never refuses longer.
      await new Promise((resolve) => setTimeout(resolve, 3_100));
      const again = await Promise.all(Array.from({ length: 4 }, (_, i) => checkout(quick, 'bot', i)));
      expect(again.filter((r) => r.status !== 429)).toHaveLength(3);
    } finally {
      await quick.close();
    }
  });

  it('tell a client refused by two full windows to come back when the later one frees', async () => {
    const both = await startTestApp({ ...LIMITS, RATE_LIMIT_BUY_IP: '3/20s', RATE_LIMIT_BUY_USER: '3/3s' });
    try {
      await both.app.get(SaleCalendar).refresh();
      const first = await Promise.all(Array.from({ length: 3 }, (_, i) => checkout(both, 'both-full', i)));
      expect(limited(first)).toHaveLength(0);
      // Both windows are full now: the user's frees in 3 s, the address's in 20 s.
      const refused = await checkout(both, 'both-full', 3);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(19);
      expect(refused.headers['ratelimit']).toMatch(/"buy-ip";r=0;t=(19|20|21)/);
    } finally {
      await both.close();
    }
  });

  it('are stricter for sign-in: per address, whatever the password', async () => {
    const auth = await startTestApp({ ...LIMITS, AUTH_MODE: 'session' });
    try {
      const tries = await Promise.all(
        Array.from({ length: 5 }, () =>
          request(auth.url).post('/auth/login').send({ email: 'target@example.com', password: 'guess-guess-guess' }),
        ),
      );
      expect(tries.filter((r) => r.status === 401)).toHaveLength(3);
      expect(limited(tries)).toHaveLength(2);
      // Both policies when Redis answered; the full one alone when the instance already knew it full.
      for (const r of limited(tries)) expect(r.headers['ratelimit-policy']).toMatch(/^("auth-ip";q=50;w=60, )?"auth-user";q=3;w=60$/);
    } finally {
      await auth.close();
    }
  });

  it('refuse an address known past its limit before reading its credentials', async () => {
    const guarded = await startTestApp({ ...LIMITS, AUTH_MODE: 'session', RATE_LIMIT_BUY_IP: '5/10s' });
    try {
      await guarded.app.get(SaleCalendar).refresh();
      // The real store, counting the sessions it is asked for.
      const store = guarded.app.get(SessionStore);
      const get = store.get.bind(store);
      let reads = 0;
      store.get = (token) => (reads++, get(token));
      const forged = (i: number) =>
        request(guarded.url).post('/checkout').set('authorization', `Bearer forged-session-${i}`).query({ id: items[i] });

      // Each read, found to be no session, and counted against the address: the fifth fills its window.
      expect((await Promise.all(Array.from({ length: 5 }, (_, i) => forged(i)))).map((r) => r.status)).toEqual(Array(5).fill(401));
      expect(reads).toBe(5);

      // Whatever the credentials, the answer is now 429: a flood from that address is refused without a single
      // session read, and still explained.
      const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => forged(i)));
      expect(limited(flood)).toHaveLength(40);
      for (const r of flood) expect(r.headers['ratelimit-policy']).toBe('"buy-ip";q=5;w=10');
      expect(reads).toBe(5);
    } finally {
      await guarded.close();
    }
  });

  it('count a signed-in buyer by who the token says they are', async () => {
    const secret = 'a-shared-secret-of-at-least-32-characters!';
    const jwt = await startTestApp({ ...LIMITS, AUTH_MODE: 'jwt', JWT_SECRET: secret });
    try {
      await jwt.app.get(SaleCalendar).refresh();
      const { SignJWT } = await import('jose');
      const token = (sub: string) =>
        new SignJWT({ sub, exp: Math.floor(Date.now() / 1000) + 300 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(secret));
      const as = async (sub: string, i: number) =>
        request(jwt.url)
          .post('/checkout')
          .query({ id: items[i % items.length] })
          .set('authorization', `Bearer ${await token(sub)}`);
      const hasty = await Promise.all(Array.from({ length: 9 }, (_, i) => as('jwt-hasty', i)));
      expect(hasty.filter((r) => r.status === 200)).toHaveLength(5);
      expect(limited(hasty)).toHaveLength(4);
      for (const r of limited(hasty)) expect(r.headers['ratelimit']).toMatch(/"buy-user";r=0;/);
      // Another subject from the same address has its own window.
      expect((await as('jwt-calm', 0)).status).toBe(200);
    } finally {
      await jwt.close();
    }
  });

  it('leave health checks and metrics alone', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, () => request(a.url).get('/health/live')));
    expect(responses.every((r) => r.status === 200 && r.headers['ratelimit'] === undefined)).toBe(true);
  });

  it('are off with RATE_LIMIT=off', async () => {
    const off = await startTestApp({ ...LIMITS, RATE_LIMIT: 'off' });
    try {
      await off.app.get(SaleCalendar).refresh();
      const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => checkout(off, 'free', i)));
      expect(limited(responses)).toHaveLength(0);
      expect(responses[0]!.headers['ratelimit']).toBeUndefined();
    } finally {
      await off.close();
    }
  });

  it('believe X-Forwarded-For only from the proxies named in TRUST_PROXY', async () => {
    const behindProxy = await startTestApp({ ...LIMITS, TRUST_PROXY: '127.0.0.1' });
    try {
      await behindProxy.app.get(SaleCalendar).refresh();
      // 25 users from 25 different clients behind the proxy: no per-IP limit is reached.
      const viaProxy = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          request(behindProxy.url)
            .post('/checkout')
            .query({ user_id: `p-${i}`, id: items[i] })
            .set('x-forwarded-for', `203.0.113.${i}`),
        ),
      );
      expect(limited(viaProxy)).toHaveLength(0);
    } finally {
      await behindProxy.close();
    }
    // Without TRUST_PROXY the header is ignored: all 25 count against 127.0.0.1.
    const direct = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        request(a.url)
          .post('/checkout')
          .query({ user_id: `d-${i}`, id: items[i] })
          .set('x-forwarded-for', `203.0.113.${i}`),
      ),
    );
    expect(limited(direct)).toHaveLength(5);
  });

  // Each test checks out items of its own: a purchase sells an item's only unit.
  describe('count every buy request, whatever its answer', () => {
    it('let exactly the per-user quota of purchases through, a checkout counting as one', async () => {
      const made = await checkout(a, 'payer', 71);
      expect(made.status).toBe(200);
      const purchases = await Promise.all(
        Array.from({ length: 12 }, () => request(a.url).post('/purchase').query({ code: made.body.code, user_id: 'payer' })),
      );
      expect(purchases.filter((r) => r.status === 200)).toHaveLength(4);
      expect(limited(purchases)).toHaveLength(8);
      for (const r of limited(purchases)) expect(r.body.code).toBe('rate_limited');
    });

    it('leave nothing behind for a refused checkout', async () => {
      const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => checkout(a, 'greedy', 80 + i)));
      const accepted = responses.filter((r) => r.status === 200);
      expect(accepted).toHaveLength(5);
      const { rawRedis } = await import('../support/test-env');
      const redis = rawRedis();
      try {
        const code = await redis.hget(`{sale:${saleId}}:open`, 'greedy');
        const record = JSON.parse((await redis.hget(`{sale:${saleId}}:checkouts`, code!))!) as { i: string[] };
        // Five checkouts of five items in one open checkout; none of the seven refused added theirs.
        expect(record.i).toHaveLength(5);
        expect(new Set(record.i.map(Number))).toEqual(new Set(responses.flatMap((r, i) => (r.status === 200 ? [items[80 + i]] : []))));
      } finally {
        redis.disconnect();
      }
    });

    it('count a request refused for bad input', async () => {
      const responses = await Promise.all(
        Array.from({ length: 7 }, () => request(a.url).post('/checkout').query({ user_id: 'sloppy', id: 'not-a-number' })),
      );
      expect(responses.filter((r) => r.status === 400)).toHaveLength(5);
      expect(limited(responses)).toHaveLength(2);
      expect(limited(responses)[0]!.headers['ratelimit']).toMatch(/"buy-user";r=0;/);
    });

    it('count a signed-in buyer refused for naming someone else', async () => {
      const secret = 'a-shared-secret-of-at-least-32-characters!';
      const jwt = await startTestApp({ ...LIMITS, AUTH_MODE: 'jwt', JWT_SECRET: secret });
      try {
        const { SignJWT } = await import('jose');
        const token = await new SignJWT({ sub: 'impostor', exp: Math.floor(Date.now() / 1000) + 300 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(secret));
        const responses = await Promise.all(
          Array.from({ length: 7 }, () =>
            request(jwt.url).post('/checkout').query({ id: items[90], user_id: 'victim' }).set('authorization', `Bearer ${token}`),
          ),
        );
        expect(responses.filter((r) => r.status === 403 && r.body.code === 'user_mismatch')).toHaveLength(5);
        expect(limited(responses)).toHaveLength(2);
      } finally {
        await jwt.close();
      }
    });
  });
});
