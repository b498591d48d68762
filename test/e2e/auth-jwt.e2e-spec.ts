import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * AUTH_MODE=jwt: bearer tokens from an identity provider, verified with an HS256 secret or the provider's
 * public keys (JWKS); the buyer is the token's subject.
 */

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const hs256 = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

describe('JWT with an HS256 secret', () => {
  let t: TestApp;
  let items: number[];
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    await wipeState();
    t = await startTestApp({ AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'flashsale' });
    items = await itemIdsOf(t, await createOpenSale(t, { itemsTotal: 5 }));
  });

  afterAll(async () => {
    await t.close();
  });

  const valid = (sub: string, extra: Record<string, unknown> = {}) =>
    hs256({ sub, iss: 'https://idp.example', aud: 'flashsale', exp: now() + 300, ...extra });
  const checkout = (token: string, query: Record<string, unknown> = {}) =>
    request(t.url)
      .post('/checkout')
      .query({ id: items[0], ...query })
      .set('authorization', `Bearer ${token}`);

  it('takes the buyer from the subject', async () => {
    const res = await checkout(await valid('idp:user-1'));
    expect(res.status).toBe(200);
    const me = await request(t.url)
      .get('/auth/me')
      .set('authorization', `Bearer ${await valid('idp:user-1')}`);
    expect(me.body).toEqual({ mode: 'jwt', userId: 'idp:user-1', email: null, verified: true });
  });

  it.each([
    ['expired', async () => valid('u1', { exp: now() - 10 })],
    [
      'forged (another secret)',
      async () =>
        hs256({ sub: 'u1', iss: 'https://idp.example', aud: 'flashsale', exp: now() + 300 }, 'some-other-secret-of-32-characters-or-more'),
    ],
    ['from another issuer', async () => hs256({ sub: 'u1', iss: 'https://evil.example', aud: 'flashsale', exp: now() + 300 })],
    ['for another audience', async () => hs256({ sub: 'u1', iss: 'https://idp.example', aud: 'someone-else', exp: now() + 300 })],
    ['without expiry', async () => hs256({ sub: 'u1', iss: 'https://idp.example', aud: 'flashsale' })],
    [
      'unsigned (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u1', exp: now() + 300 })).toString('base64url')}.`,
    ],
    ['with a subject that is not a user id', async () => valid('has spaces in it')],
    ['not a JWT at all', async () => 'garbage'],
  ])('refuses a token that is %s with 401 problem+json', async (_name, make) => {
    const res = await checkout(await make());
    expect([res.status, res.body.code]).toEqual([401, 'unauthorized']);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses a request without a token, and a user_id that is not the subject', async () => {
    expect((await request(t.url).post('/checkout').query({ id: items[1], user_id: 'u1' })).status).toBe(401);
    const res = await checkout(await valid('u1'), { user_id: 'somebody-else' });
    expect([res.status, res.body.code]).toEqual([403, 'user_mismatch']);
  });

  it('has no accounts of its own', async () => {
    expect((await request(t.url).post('/auth/login').send({ email: 'a@example.com', password: 'whatever-password' })).status).toBe(404);
  });
});

describe("JWT with the provider's public keys (JWKS file)", () => {
  let t: TestApp;
  let items: number[];
  let dir: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let signWithOtherKey: (claims: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    await wipeState();
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    dir = mkdtempSync(path.join(tmpdir(), 'jwks-'));
    const file = path.join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    signWithOtherKey = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(other.privateKey);
    t = await startTestApp({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: file });
    items = await itemIdsOf(t, await createOpenSale(t, { itemsTotal: 3 }));
  });

  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a token signed by the provider and refuses one signed by any other key', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const ok = await request(t.url)
      .post('/checkout')
      .query({ id: items[0] })
      .set('authorization', `Bearer ${await sign({ sub: 'rsa-user', exp })}`);
    expect(ok.status).toBe(200);
    const forged = await request(t.url)
      .post('/checkout')
      .query({ id: items[0] })
      .set('authorization', `Bearer ${await signWithOtherKey({ sub: 'rsa-user', exp })}`);
    expect([forged.status, forged.body.code]).toEqual([401, 'unauthorized']);
  });
});
