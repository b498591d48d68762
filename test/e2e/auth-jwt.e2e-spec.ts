import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { makeCertificates } from '../../scripts/fleet/redis-fleet';
import { TokenKeysUnavailableError } from '../../src/application/identity/identity.errors';
import { loadConfig } from '../../src/infrastructure/config/app-config';
import { JoseTokenVerifier } from '../../src/infrastructure/identity/jose-token-verifier';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState } from '../support/test-env';

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

  it("scopes a purchase's Idempotency-Key to the buyer: two buyers with the same key each buy", async () => {
    const bodies = [];
    for (const [user, item] of [
      ['key-user-1', items[2]],
      ['key-user-2', items[3]],
    ] as const) {
      const token = await valid(user);
      const code = (await checkout(token, { id: item })).body.code;
      const res = await request(t.url)
        .post('/purchase')
        .query({ code })
        .set('authorization', `Bearer ${token}`)
        .set('idempotency-key', '"same-key"');
      expect([res.status, res.headers['idempotent-replayed']]).toEqual([200, undefined]);
      bodies.push(res.body);
    }
    expect(bodies.map((b) => b.purchased)).toEqual([[items[2]], [items[3]]]);
    expect(bodies[0].orderId).not.toBe(bodies[1].orderId);
  });

  it('refuses a request without a token, and a user_id that is not the subject', async () => {
    expect((await request(t.url).post('/checkout').query({ id: items[1], user_id: 'u1' })).status).toBe(401);
    const res = await checkout(await valid('u1'), { user_id: 'somebody-else' });
    expect([res.status, res.body.code]).toEqual([403, 'user_mismatch']);
  });

  it('has no accounts of its own: every account route is 404, with or without a token', async () => {
    const token = await valid('u1');
    const answers = [];
    for (const route of ['/auth/register', '/auth/login', '/auth/verify-otp', '/auth/logout']) {
      for (const auth of [null, `Bearer ${token}`]) {
        const req = request(t.url).post(route).send({ email: 'a@example.com', password: 'whatever-password', code: '123456' });
        const res = await (auth ? req.set('authorization', auth) : req);
        answers.push(`${route} ${auth ? 'with' : 'without'} a token: ${res.status} ${res.body.code}`);
      }
    }
    expect(answers).toEqual(answers.map((a) => a.replace(/: .*/, ': 404 not_found')));
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

describe("JWT with the provider's public keys at a URL (JWKS endpoint)", () => {
  let t: TestApp;
  let items: number[];
  let server: http.Server;
  let jwksUrl: string;
  let fetches = 0;
  let providerDown = false;
  let saleId: number;
  let sign: (claims: Record<string, unknown>, kid?: string) => Promise<string>;

  beforeAll(async () => {
    await wipeState();
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' }] });
    sign = (claims, kid = 'e1') => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    // The identity provider's JWKS endpoint, on 127.0.0.1.
    server = http.createServer((req, res) => {
      fetches++;
      if (providerDown) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    t = await startTestApp({ AUTH_MODE: 'jwt', JWT_JWKS_URL: jwksUrl });
    const sale = await createOpenSale(t, { itemsTotal: 3 });
    saleId = sale.id;
    items = await itemIdsOf(t, sale);
  });

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const exp = () => Math.floor(Date.now() / 1000) + 300;
  const checkout = async (token: string, item = items[0]) =>
    request(t.url).post('/checkout').query({ id: item }).set('authorization', `Bearer ${token}`);

  it('answers 503 (not 401, not 500) while the provider cannot hand out its keys, changes nothing, then heals', async () => {
    providerDown = true;
    const token = await sign({ sub: 'url-user-0', exp: exp() });
    try {
      const res = await checkout(token, items[1]);
      expect([res.status, res.body.code]).toEqual([503, 'service_unavailable']);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('1');
      expect(fetches).toBeGreaterThan(0);
      // More tokens meanwhile do not each ask the failing provider again: one fetch a second at most.
      const before = fetches;
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect((await checkout(token, items[1])).status).toBe(503);
      expect(fetches - before).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1);
      expect((await request(t.url).get('/sales/active')).body.itemsSold).toBe(0);
      const redis = rawRedis();
      expect(await redis.hgetall(`{sale:${saleId}}:open`)).toEqual({});
      redis.disconnect();
    } finally {
      providerDown = false;
    }
    // Healed within the second's pause after the last failed fetch.
    const healed = await eventually(
      () => checkout(token, items[1]),
      (res) => res.status !== 503,
      3_000,
    );
    expect(healed.status).toBe(200);
  });

  it('then keeps the keys: more buyers, no more fetches; a key it does not know is refused with 401', async () => {
    const before = fetches;
    for (const user of ['url-user-1', 'url-user-2', 'url-user-3']) {
      expect((await checkout(await sign({ sub: user, exp: exp() }))).status).toBe(200);
    }
    expect(fetches).toBe(before);
    const unknownKey = await checkout(await sign({ sub: 'url-user-4', exp: exp() }, 'unknown-kid'));
    expect([unknownKey.status, unknownKey.body.code]).toEqual([401, 'unauthorized']);
  });
});

describe('JWT keys from an endpoint that stalls in the middle of its answer', () => {
  let t: TestApp;
  let server: http.Server;
  let stall = true;
  const stalled: http.ServerResponse[] = [];
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let item: number;

  beforeAll(async () => {
    await wipeState();
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 's1', alg: 'ES256', use: 'sig' }] });
    sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 's1' }).sign(privateKey);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!stall) return res.end(jwks);
      // The head and the first bytes, then silence: the connection stays open.
      res.write(jwks.slice(0, 10));
      stalled.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t = await startTestApp({ AUTH_MODE: 'jwt', JWT_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` });
    [item] = await itemIdsOf(t, await createOpenSale(t, { itemsTotal: 2 }));
  });

  afterAll(async () => {
    for (const res of stalled) res.destroy();
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 503 within seconds rather than hanging, and heals once the endpoint answers again', async () => {
    const token = await sign({ sub: 'stalled-user', exp: Math.floor(Date.now() / 1000) + 300 });
    const checkout = () => request(t.url).post('/checkout').query({ id: item }).set('authorization', `Bearer ${token}`).timeout(20_000);
    const started = Date.now();
    const res = await checkout();
    expect([res.status, res.body.code, res.headers['retry-after']]).toEqual([503, 'service_unavailable', '1']);
    // The endpoint's 5 s of silence and a margin; before, the request (and every later one) waited for ever.
    expect(Date.now() - started).toBeLessThan(12_000);
    stall = false;
    // Within the second's pause that follows a failed fetch.
    expect((await eventually(checkout, (r) => r.status !== 503, 3_000)).status).toBe(200);
  });

  it('takes a certificate it cannot trust at the endpoint for the provider being away (503), not for a bug (500)', async () => {
    // An https endpoint whose certificate comes from a CA this process does not know: Node fails the handshake
    // with UNABLE_TO_VERIFY_LEAF_SIGNATURE, a code no E[A-Z]+ pattern matched.
    const dir = mkdtempSync(path.join(tmpdir(), 'flashsale-jwks-tls-'));
    const tls = await makeCertificates(dir);
    const endpoint = https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (_req, res) =>
      res.end('{"keys":[]}'),
    );
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const port = (endpoint.address() as AddressInfo).port;
      const verifier = new JoseTokenVerifier(
        loadConfig({ ...process.env, AUTH_MODE: 'jwt', JWT_JWKS_URL: `https://127.0.0.1:${port}/jwks.json` }),
      );
      const token = await sign({ sub: 'tls-user', exp: Math.floor(Date.now() / 1000) + 300 });
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenKeysUnavailableError);
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
