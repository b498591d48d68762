import { createHash } from 'node:crypto';
import path from 'node:path';
import request from 'supertest';
import { Mailer } from '../../src/application/identity/mailer.port';
import { parseEmail } from '../../src/domain/identity/email.value-object';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * AUTH_MODE=session: register, sign in, verify the mailed one-time code, buy. And every way it must refuse:
 * wrong password, wrong or locked code, expired or missing session, a user_id that is someone else.
 */

let t: TestApp;
let sale: Sale;
let items: number[];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ AUTH_MODE: 'session', OTP_MAX_ATTEMPTS: '3' });
  sale = await createOpenSale(t, { itemsTotal: 10, perUserLimit: 3 });
  items = await itemIdsOf(t, sale);
});

afterAll(async () => {
  await t.close();
});

/** The newest one-time code mailed to `email` (no SMTP in tests: mail goes to the outbox). */
async function mailedCode(email: string): Promise<string> {
  const redis = rawRedis();
  try {
    const mails = (await redis.lrange('flashsale:mail-outbox', 0, 50)).map((m) => JSON.parse(m));
    const mail = mails.find((m) => m.to === email);
    return /\b(\d{6})\b/.exec(mail.subject)![1]!;
  } finally {
    redis.disconnect();
  }
}

async function signIn(email: string, password = 'correct horse battery'): Promise<{ token: string; cookie: string; userId: string }> {
  const res = await request(t.url).post('/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return { token: res.body.token, cookie: res.headers['set-cookie'][0].split(';')[0], userId: res.body.userId };
}

async function verified(email: string): Promise<{ token: string; cookie: string; userId: string }> {
  const session = await signIn(email);
  const ok = await request(t.url)
    .post('/auth/verify-otp')
    .set('authorization', `Bearer ${session.token}`)
    .send({ code: await mailedCode(email) });
  expect(ok.status).toBe(200);
  return session;
}

const problem = (res: request.Response, status: number, code: string) => {
  expect([res.status, res.body.code]).toEqual([status, code]);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('accounts and sessions', () => {
  it('registers an account, and refuses a second one with the same address (any case)', async () => {
    const res = await request(t.url).post('/auth/register').send({ email: 'Ada@Example.com', password: 'correct horse battery' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: 'ada@example.com' });
    expect(res.body.userId).toMatch(/^u-[A-Za-z0-9_-]+$/);
    problem(
      await request(t.url).post('/auth/register').send({ email: 'ada@EXAMPLE.com', password: 'another good one' }),
      409,
      'email_taken',
    );
    // The password is stored only as a salted scrypt hash (OWASP parameters), never as given.
    const stored = await withPg(
      async (pg) => (await pg.query(`SELECT password_hash FROM accounts WHERE email = 'ada@example.com'`)).rows[0].password_hash,
    );
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(stored).not.toContain('correct horse battery');
  });

  it.each([
    [{ email: 'not-an-address', password: 'correct horse battery' }, 'email'],
    [{ email: 'bob@example.com', password: 'short' }, 'password'],
    [{ email: 'bob@example.com', password: 'aaaaaaaaaaaa' }, 'password'],
    [{ email: 'bob@example.com' }, 'password'],
    // PostgreSQL refuses a NUL in text: it must never get that far (it was a 500).
    [{ email: 'b\u0000ob@example.com', password: 'correct horse battery' }, 'email'],
  ])('refuses a bad registration with 400 naming the field (%#)', async (body, field) => {
    const res = await request(t.url).post('/auth/register').send(body);
    problem(res, 400, 'invalid_request');
    expect(res.body.parameter).toBe(field);
  });

  it('refuses a wrong password or an unknown address alike, with 401', async () => {
    problem(
      await request(t.url).post('/auth/login').send({ email: 'ada@example.com', password: 'wrong password!' }),
      401,
      'invalid_credentials',
    );
    problem(
      await request(t.url).post('/auth/login').send({ email: 'nobody@example.com', password: 'correct horse battery' }),
      401,
      'invalid_credentials',
    );
    // An address PostgreSQL could not even compare (a NUL in it; it was a 500) is simply wrong.
    problem(
      await request(t.url).post('/auth/login').send({ email: 'ada\u0000@example.com', password: 'correct horse battery' }),
      401,
      'invalid_credentials',
    );
  });

  it.each([
    [{}, 'email'],
    [{ email: 'ada@example.com' }, 'password'],
    [{ email: 'ada@example.com', password: true }, 'password'],
    [{ email: 7, password: 'correct horse battery' }, 'email'],
  ])('refuses a malformed sign-in with 400 naming the field (%#)', async (body, field) => {
    const res = await request(t.url).post('/auth/login').send(body);
    problem(res, 400, 'invalid_request');
    expect(res.body.parameter).toBe(field);
  });

  it('signs in with an HTTP-only, SameSite session cookie and a bearer token, and mails a code', async () => {
    const res = await request(t.url).post('/auth/login').send({ email: 'ada@example.com', password: 'correct horse battery' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verificationRequired: true, codeDelivery: 'outbox' });
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const cookie = res.headers['set-cookie'][0];
    expect(cookie).toMatch(/^flashsale_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
    expect(await mailedCode('ada@example.com')).toMatch(/^\d{6}$/);
    // Without SMTP the operator reads codes with the CLI.
    const { execFileSync } = await import('node:child_process');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: path.resolve(__dirname, '..', '..') });
    // A newer mail to someone else does not hide Ada's from `--to` (filtered before `--limit`).
    await t.app.get(Mailer).send({ to: parseEmail('zed@example.com')!, subject: 'Something else', text: '-' });
    const outbox = JSON.parse(
      execFileSync('node', ['dist/cli.js', 'mail:outbox', '--to', 'ada@example.com', '--limit', '1', '--json'], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: process.env,
        encoding: 'utf8',
      }),
    );
    expect(outbox).toHaveLength(1);
    expect(outbox[0].subject).toContain(await mailedCode('ada@example.com'));
  });

  it('will not let an unverified session check out', async () => {
    const { token } = await signIn('ada@example.com');
    problem(
      await request(t.url).post('/checkout').query({ id: items[0] }).set('authorization', `Bearer ${token}`),
      403,
      'verification_required',
    );
  });

  it('buys after verifying the code, with the bearer token or the cookie alike', async () => {
    const { token, cookie, userId } = await verified('ada@example.com');
    const c = await request(t.url).post('/checkout').query({ id: items[0] }).set('authorization', `Bearer ${token}`);
    expect(c.status).toBe(200);
    const c2 = await request(t.url).post('/checkout').query({ id: items[1], user_id: userId }).set('cookie', cookie);
    expect(c2.body).toMatchObject({ code: c.body.code, items: [items[0], items[1]] });
    const p = await request(t.url).post('/purchase').query({ code: c.body.code }).set('cookie', cookie);
    expect(p.body.purchased).toEqual([items[0], items[1]]);
    expect((await request(t.url).get('/auth/me').set('cookie', cookie)).body).toEqual({
      mode: 'session',
      userId,
      email: 'ada@example.com',
      verified: true,
    });
    // Signed out, the page still learns the mode (no 401).
    expect((await request(t.url).get('/auth/me')).body).toEqual({ mode: 'session', userId: null, email: null, verified: false });
  });

  it("refuses a user_id that is not the signed-in user, and someone else's checkout code", async () => {
    await request(t.url).post('/auth/register').send({ email: 'eve@example.com', password: 'correct horse battery' });
    const eve = await verified('eve@example.com');
    const ada = await verified('ada@example.com');
    problem(
      await request(t.url).post('/checkout').query({ id: items[2], user_id: ada.userId }).set('cookie', eve.cookie),
      403,
      'user_mismatch',
    );
    // A user_id that is no user id at all is malformed (400 naming it), signed in or not; it was a 403.
    for (const path of [`/checkout?id=${items[2]}&user_id=`, `/checkout?id=${items[2]}&user_id=${eve.userId}&user_id=${eve.userId}`]) {
      const malformed = await request(t.url).post(path).set('cookie', eve.cookie);
      problem(malformed, 400, 'invalid_request');
      expect(malformed.body.parameter).toBe('user_id');
    }
    // Naming oneself is allowed.
    expect((await request(t.url).post('/checkout').query({ id: items[2], user_id: eve.userId }).set('cookie', eve.cookie)).status).toBe(
      200,
    );
    const adas = await request(t.url).post('/checkout').query({ id: items[2] }).set('cookie', ada.cookie);
    // Eve holds Ada's code: to her it does not exist, and nothing is bought.
    problem(await request(t.url).post('/purchase').query({ code: adas.body.code }).set('cookie', eve.cookie), 404, 'checkout_not_found');
    expect((await request(t.url).post('/purchase').query({ code: adas.body.code }).set('cookie', ada.cookie)).body.purchased).toEqual([
      items[2],
    ]);
  });

  it('counts wrong codes and locks the step after OTP_MAX_ATTEMPTS, even for the right code', async () => {
    const { token } = await signIn('eve@example.com');
    const auth = { authorization: `Bearer ${token}` };
    const right = await mailedCode('eve@example.com');
    const wrong = right === '000000' ? '111111' : '000000';
    const first = await request(t.url).post('/auth/verify-otp').set(auth).send({ code: wrong });
    problem(first, 400, 'invalid_code');
    expect(first.headers['x-attempts-left']).toBe('2');
    problem(await request(t.url).post('/auth/verify-otp').set(auth).send({ code: 'abc' }), 400, 'invalid_request');
    await request(t.url).post('/auth/verify-otp').set(auth).send({ code: wrong });
    problem(await request(t.url).post('/auth/verify-otp').set(auth).send({ code: wrong }), 403, 'verification_locked');
    problem(await request(t.url).post('/auth/verify-otp').set(auth).send({ code: right }), 403, 'verification_locked');
    problem(await request(t.url).post('/checkout').query({ id: items[5] }).set(auth), 403, 'verification_required');
  });

  it('refuses an expired code, even the right one, and lets a new sign-in mail a fresh one', async () => {
    await request(t.url).post('/auth/register').send({ email: 'fay@example.com', password: 'correct horse battery' });
    const { token } = await signIn('fay@example.com');
    const auth = { authorization: `Bearer ${token}` };
    const stale = await mailedCode('fay@example.com');
    // Time passes: the code's expiry (OTP_TTL_SECONDS after it was mailed) is now behind us.
    const redis = rawRedis();
    await redis.hset(`flashsale:session:${createHash('sha256').update(token).digest('base64url')}`, 'codeExpiresAt', Date.now() - 1);
    redis.disconnect();
    const expired = await request(t.url).post('/auth/verify-otp').set(auth).send({ code: stale });
    problem(expired, 403, 'verification_locked');
    expect(expired.body.detail).toMatch(/expired/);
    problem(await request(t.url).post('/checkout').query({ id: items[5] }).set(auth), 403, 'verification_required');
    const again = await verified('fay@example.com');
    expect((await request(t.url).post('/checkout').query({ id: items[5] }).set('cookie', again.cookie)).status).toBe(200);
  });

  it('answers 401 for no credentials, a made-up token, an expired session, and after logout', async () => {
    const bare = await request(t.url).post('/checkout').query({ id: items[5] });
    problem(bare, 401, 'unauthorized');
    // RFC 9110: a 401 says how to authenticate.
    expect(bare.headers['www-authenticate']).toBe('Bearer realm="flashsale"');
    problem(
      await request(t.url).post('/checkout').query({ id: items[5] }).set('authorization', 'Bearer made-up-token'),
      401,
      'unauthorized',
    );
    // A session cookie that is not even URL-decodable is no session (a 401, never a 500).
    problem(
      await request(t.url).post('/checkout').query({ id: items[5] }).set('cookie', 'flashsale_session=%E0%A4%A'),
      401,
      'unauthorized',
    );

    const expiring = await verified('ada@example.com');
    const redis = rawRedis();
    await redis.pexpire(`flashsale:session:${createHash('sha256').update(expiring.token).digest('base64url')}`, 1);
    redis.disconnect();
    await new Promise((r) => setTimeout(r, 20));
    problem(await request(t.url).post('/checkout').query({ id: items[5] }).set('cookie', expiring.cookie), 401, 'unauthorized');

    const leaving = await verified('ada@example.com');
    const out = await request(t.url).post('/auth/logout').set('cookie', leaving.cookie);
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie'][0]).toMatch(/Max-Age=0/);
    // Signing out again (an expired or unknown session) still succeeds and clears the cookie.
    const again = await request(t.url).post('/auth/logout').set('cookie', leaving.cookie);
    expect([again.status, again.headers['set-cookie']?.[0]]).toEqual([204, expect.stringMatching(/Max-Age=0/)]);
    problem(await request(t.url).post('/checkout').query({ id: items[5] }).set('cookie', leaving.cookie), 401, 'unauthorized');

    // A client holding a bearer token and a cookie of two sign-ins: signing out ends both.
    const [older, newer] = [await verified('ada@example.com'), await verified('ada@example.com')];
    const both = await request(t.url).post('/auth/logout').set('authorization', `Bearer ${older.token}`).set('cookie', newer.cookie);
    expect(both.status).toBe(204);
    for (const creds of [{ authorization: `Bearer ${older.token}` }, { cookie: newer.cookie }])
      problem(await request(t.url).post('/checkout').query({ id: items[5] }).set(creds), 401, 'unauthorized');
  });
});
