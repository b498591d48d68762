import request from 'supertest';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { rawRedis, streamEntriesAdded, wipeState } from '../support/test-env';
import { idempotencyScope } from '../../src/application/shared/idempotency-scope';

/*
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on POST /checkout and POST /purchase: a retry
 * gets the stored answer and does nothing again; the key reused for another request is 422; the key of a
 * request still in progress is 409; keys expire.
 */

let t: TestApp;
let sale: Sale;
let items: number[];

beforeEach(async () => {
  await wipeState();
  t = await startTestApp({ IDEMPOTENCY_KEY_TTL_SECONDS: '2' });
  sale = await createOpenSale(t, { itemsTotal: 5, perUserLimit: 3 });
  items = await itemIdsOf(t, sale);
});

afterEach(async () => {
  await t.close();
});

const checkout = (user: string, item: number, key?: string) => {
  const r = request(t.url).post('/checkout').query({ user_id: user, id: item });
  return key === undefined ? r : r.set('Idempotency-Key', key);
};
const purchase = (code: string, key?: string) => {
  const r = request(t.url).post('/purchase').query({ code });
  return key === undefined ? r : r.set('Idempotency-Key', key);
};

async function saleState() {
  const redis = rawRedis();
  try {
    const tag = `{sale:${sale.id}}`;
    return {
      hashes: await Promise.all(['meta', 'stock', 'bought', 'open', 'checkouts'].map((k) => redis.hgetall(`${tag}:${k}`))),
      // Background loops drain both streams at any moment: what counts is whether anything was added.
      attempts: await streamEntriesAdded(redis, `${tag}:attempts`),
      outbox: await streamEntriesAdded(redis, `${tag}:outbox`),
    };
  } finally {
    redis.disconnect();
  }
}

describe('Idempotency-Key', () => {
  it('answers a retried checkout from the record and does nothing again', async () => {
    const first = await checkout('ann', items[0]!, '"k-1"');
    expect(first.status).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await saleState();

    const retry = await checkout('ann', items[0]!, '"k-1"');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // Not even the attempt is recorded twice.
    expect(await saleState()).toEqual(before);
  });

  it('stores refusals too: a retried sold-out checkout stays the same refusal', async () => {
    const code = (await checkout('bea', items[1]!)).body.code;
    await purchase(code);
    const first = await checkout('cid', items[1]!, 'k-sold');
    expect(first.status).toBe(409);
    const retry = await checkout('cid', items[1]!, 'k-sold');
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('answers a retried purchase with the same status and body', async () => {
    const code = (await checkout('dan', items[2]!)).body.code;
    const first = await purchase(code, 'p-1');
    expect(first.status).toBe(200);
    expect(first.body.purchased).toEqual([items[2]]);
    const before = await saleState();
    const retry = await purchase(code, 'p-1');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await saleState()).toEqual(before);
  });

  it('refuses the same key for a different request with 422, changing nothing', async () => {
    await checkout('eve', items[0]!, 'k-2');
    const before = await saleState();
    const other = await checkout('eve', items[3]!, 'k-2');
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await saleState()).toEqual(before);
  });

  it('scopes checkout keys per user: another user may use the same key', async () => {
    await checkout('fay', items[0]!, 'shared-key');
    const res = await checkout('gus', items[3]!, 'shared-key');
    expect(res.status).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps two users apart whatever their ids and keys hold: "org" with "a:1" and "org:a" with "1"', async () => {
    const first = await checkout('org', items[0]!, 'a:1');
    expect(first.status).toBe(200);
    const res = await checkout('org:a', items[0]!, '1');
    expect(res.status).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body.code).not.toBe(first.body.code);
  });

  it('answers 409 with Retry-After while a request with the key is still in progress', async () => {
    // A request that claimed the key and has not finished: its claim, exactly as the claim script writes it.
    const redis = rawRedis();
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256')
      .update(idempotencyScope('checkout', 'hal', 'busy-key'))
      .digest('base64url');
    await redis.set(`{sale:${sale.id}}:idem:${hash}`, JSON.stringify({ s: 'p', f: `item=${items[0]}`, t: 'other-request' }), 'PX', 10_000);
    redis.disconnect();
    const before = await saleState();
    const res = await checkout('hal', items[0]!, 'busy-key');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_key_in_use');
    expect(res.headers['retry-after']).toBe('1');
    expect(await saleState()).toEqual(before);
  });

  it('lets exactly one of many concurrent requests with one key do the work', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => checkout('ivy', items[4]!, 'race-key')));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of responses) expect([200, 409]).toContain(r.status);
    for (const r of responses.filter((r) => r.status === 409)) expect(r.body.code).toBe('idempotency_key_in_use');
    for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
    // One piece of work: one attempt recorded, however many requests.
    expect((await saleState()).attempts).toBe(1);
  });

  it('lets exactly one of many concurrent purchases with one key buy: one order, one answer', async () => {
    const code = (await checkout('ike', items[4]!)).body.code;
    const responses = await Promise.all(Array.from({ length: 20 }, () => purchase(code, 'race-purchase')));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of responses) expect([200, 409]).toContain(r.status);
    for (const r of responses.filter((r) => r.status === 409)) expect(r.body.code).toBe('idempotency_key_in_use');
    for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
    expect(ok[0]!.body.purchased).toEqual([items[4]]);
    expect((await saleState()).outbox).toBe(1);
  });

  it('forgets keys after IDEMPOTENCY_KEY_TTL_SECONDS', async () => {
    await checkout('jon', items[0]!, 'short-lived');
    await new Promise((r) => setTimeout(r, 2_300));
    const res = await checkout('jon', items[3]!, 'short-lived');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([items[0], items[3]]);
  });

  it('refuses a malformed key with 400 naming the header', async () => {
    const res = await checkout('kim', items[0]!, 'x'.repeat(300));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_request', parameter: 'Idempotency-Key' });
  });

  it('refuses the header given twice, which reaches the server joined by a comma, instead of taking it as one key', async () => {
    for (const twice of [
      ['"first-key"', '"second-key"'],
      ['first-key', 'second-key'],
    ]) {
      const res = await request(t.url)
        .post('/checkout')
        .query({ user_id: 'kim', id: items[0] })
        .set('Idempotency-Key', twice as unknown as string); // two header lines
      expect([res.status, res.body.code, res.body.parameter]).toEqual([400, 'invalid_request', 'Idempotency-Key']);
    }
    // One quoted key may hold a comma.
    expect((await checkout('kim', items[0]!, '"one, key"')).status).toBe(200);
  });

  it('does not store refusals that may change by themselves (sale paused)', async () => {
    const redis = rawRedis();
    await redis.hset(`{sale:${sale.id}}:meta`, 'paused', '1');
    const paused = await checkout('lea', items[0]!, 'pause-key');
    expect(paused.body.code).toBe('sale_paused');
    await redis.hdel(`{sale:${sale.id}}:meta`, 'paused');
    redis.disconnect();
    const resumed = await checkout('lea', items[0]!, 'pause-key');
    expect(resumed.status).toBe(200);
    expect(resumed.headers['idempotent-replayed']).toBeUndefined();
  });
});
