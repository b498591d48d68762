import { connect } from 'node:net';
import request from 'supertest';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * Bad input of every kind gets a 4xx problem+json with a stable code, and changes nothing: the sale's state
 * in Redis and the tables in PostgreSQL are byte-for-byte what they were.
 */

let t: TestApp;
let sale: Sale;
let items: number[];
let openCode: string;

beforeAll(async () => {
  await wipeState();
  t = await startTestApp();
  sale = await createOpenSale(t, { itemsTotal: 5, perUserLimit: 2 });
  items = await itemIdsOf(t, sale);
  openCode = (await request(t.url).post('/checkout').query({ user_id: 'bob', id: items[0] })).body.code;
});

afterAll(async () => {
  await t.close();
});

async function snapshot(): Promise<unknown> {
  const redis = rawRedis();
  try {
    const tag = `{sale:${sale.id}}`;
    const hashes = await Promise.all(['meta', 'stock', 'bought', 'open', 'checkouts'].map((k) => redis.hgetall(`${tag}:${k}`)));
    const outbox = await redis.xlen(`${tag}:outbox`);
    const pg = await withPg(
      async (c) =>
        (
          await c.query(
            'SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM order_items) l, (SELECT count(*) FROM items WHERE sold) s',
          )
        ).rows[0],
    );
    return { hashes, outbox, pg };
  } finally {
    redis.disconnect();
  }
}

/** Sends bytes as they are on a new connection; resolves with everything the server wrote before closing it. */
function rawExchange(bytes: string): Promise<string> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer in 5 s; got ${JSON.stringify(answer)}`)));
  });
}

/**
 * Sends `raw` on a new connection and expects a problem+json answer of `status` and `code` that changed
 * nothing; returns the answer's head, for checks of its own.
 */
async function expectRawProblem(raw: string, status: number, code: string): Promise<string> {
  const before = await snapshot();
  const answer = await rawExchange(raw);
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/i);
  expect(JSON.parse(body!)).toMatchObject({ status, code, type: `urn:flashsale:problem:${code}` });
  expect(await snapshot()).toEqual(before);
  return head!;
}

type Case = [name: string, send: () => request.Test, status: number, code: string, parameter?: string];

const long = 'u'.repeat(65);
const cases = (): Case[] => [
  ['checkout without parameters', () => request(t.url).post('/checkout'), 400, 'invalid_request', 'user_id'],
  ['empty user_id', () => request(t.url).post(`/checkout?user_id=&id=${items[1]}`), 400, 'invalid_request', 'user_id'],
  ['user_id too long', () => request(t.url).post(`/checkout?user_id=${long}&id=${items[1]}`), 400, 'invalid_request', 'user_id'],
  ['user_id with a space', () => request(t.url).post(`/checkout?user_id=bad%20user&id=${items[1]}`), 400, 'invalid_request', 'user_id'],
  ['user_id given twice', () => request(t.url).post(`/checkout?user_id=a&user_id=b&id=${items[1]}`), 400, 'invalid_request', 'user_id'],
  ['missing item id', () => request(t.url).post('/checkout?user_id=carol'), 400, 'invalid_request', 'id'],
  ['item id not a number', () => request(t.url).post('/checkout?user_id=carol&id=abc'), 400, 'invalid_request', 'id'],
  ['item id zero', () => request(t.url).post('/checkout?user_id=carol&id=0'), 400, 'invalid_request', 'id'],
  ['item id negative', () => request(t.url).post('/checkout?user_id=carol&id=-3'), 400, 'invalid_request', 'id'],
  ['item id fractional', () => request(t.url).post('/checkout?user_id=carol&id=1.5'), 400, 'invalid_request', 'id'],
  ['item id too large', () => request(t.url).post('/checkout?user_id=carol&id=99999999999'), 400, 'invalid_request', 'id'],
  [
    'id and item_id disagree',
    () => request(t.url).post(`/checkout?user_id=carol&id=${items[1]}&item_id=${items[2]}`),
    400,
    'invalid_request',
    'item_id',
  ],
  ['unknown item', () => request(t.url).post('/checkout?user_id=carol&id=999999'), 404, 'item_not_found'],
  ['checkout with GET', () => request(t.url).get(`/checkout?user_id=carol&id=${items[1]}`), 405, 'method_not_allowed'],
  [
    'malformed JSON body',
    () => request(t.url).post(`/checkout?user_id=carol&id=${items[1]}`).set('content-type', 'application/json').send('{oops'),
    400,
    'invalid_request',
  ],
  [
    'body too large',
    () => request(t.url).post(`/checkout?user_id=carol&id=${items[1]}`).set('content-type', 'text/plain').send('x'.repeat(100_000)),
    413,
    'payload_too_large',
  ],
  [
    'unsupported body type',
    () => request(t.url).post(`/checkout?user_id=carol&id=${items[1]}`).set('content-type', 'application/xml').send('<a/>'),
    415,
    'unsupported_media_type',
  ],
  ['purchase without code', () => request(t.url).post('/purchase'), 400, 'invalid_request', 'code'],
  ['purchase with a malformed code', () => request(t.url).post('/purchase?code=nonsense'), 400, 'invalid_request', 'code'],
  [
    'purchase with an unknown code',
    () => request(t.url).post(`/purchase?code=${sale.id}-AAAAAAAAAAAAAAAAAAAAAA`),
    404,
    'checkout_not_found',
  ],
  ['purchase in an unknown sale', () => request(t.url).post('/purchase?code=987654-AAAAAAAAAAAAAAAAAAAAAA'), 404, 'checkout_not_found'],
  ['purchase with PUT', () => request(t.url).put(`/purchase?code=${openCode}`), 405, 'method_not_allowed'],
  ['purchase code given twice', () => request(t.url).post(`/purchase?code=${openCode}&code=${openCode}`), 400, 'invalid_request', 'code'],
  ['sale id not a number', () => request(t.url).get('/sales/abc'), 400, 'invalid_request', 'id'],
  ['sale id zero', () => request(t.url).get('/sales/0'), 400, 'invalid_request', 'id'],
  ['unknown sale', () => request(t.url).get('/sales/987654'), 404, 'sale_not_found'],
  ['items of an unknown sale', () => request(t.url).get('/sales/987654/items'), 404, 'sale_not_found'],
  ['items limit zero', () => request(t.url).get(`/sales/${sale.id}/items?limit=0`), 400, 'invalid_request', 'limit'],
  ['items limit above 1000', () => request(t.url).get(`/sales/${sale.id}/items?limit=1001`), 400, 'invalid_request', 'limit'],
  ['items cursor not an id', () => request(t.url).get(`/sales/${sale.id}/items?cursor=xyz`), 400, 'invalid_request', 'cursor'],
  ['unknown route', () => request(t.url).get('/nope'), 404, 'not_found'],
  // Refused by the router before any route runs (Fastify answers these in its own JSON unless told otherwise).
  ['sale id with broken percent-encoding', () => request(t.url).get('/sales/%E0%A4%A'), 400, 'invalid_request'],
  ['purchase path with broken percent-encoding', () => request(t.url).post('/purchase%zz?code=x'), 400, 'invalid_request'],
  ['sale id longer than a path segment may be', () => request(t.url).get(`/sales/${'9'.repeat(201)}`), 400, 'invalid_request'],
  ['delete the active sale', () => request(t.url).delete('/sales/active'), 405, 'method_not_allowed'],
  // A method no route has, with a path the router refuses: the path's refusal, not a 405 (it was one).
  ['PUT with broken percent-encoding', () => request(t.url).put('/sales/%E0%A4%A'), 400, 'invalid_request'],
  ['DELETE of a path that does not exist, broken', () => request(t.url).delete('/does-not-exist%zz'), 400, 'invalid_request'],
  [
    'DELETE with a sale id longer than a path segment may be',
    () => request(t.url).delete(`/sales/${'9'.repeat(201)}`),
    400,
    'invalid_request',
  ],
];

describe('bad input', () => {
  it.each(cases().map((c, i) => [c[0], i] as const))('%s: 4xx problem+json, nothing changed', async (_name, index) => {
    const [, send, status, code, parameter] = cases()[index]!;
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ status, code, type: `urn:flashsale:problem:${code}` });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    if (parameter) expect(body.parameter).toBe(parameter);
    if (status === 405) expect(res.headers.allow).toBeTruthy();
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(await snapshot()).toEqual(before);
  });

  it('a 405 lists every method the path answers, HEAD included where GET is', async () => {
    const onRead = await request(t.url).delete('/sales/active');
    expect(onRead.status).toBe(405);
    expect(onRead.headers.allow).toBe('GET, HEAD');
    expect((await request(t.url).head('/sales/active')).status).toBe(200);
    const onBuy = await request(t.url).get(`/checkout?user_id=carol&id=${items[1]}`);
    expect(onBuy.headers.allow).toBe('POST');
  });

  // Requests Node's HTTP parser refuses never reach a route or a hook: the server's client-error handler answers.
  it.each([
    ['a malformed request line', 'NOT HTTP AT ALL\r\n\r\n', 400, 'invalid_request'],
    [
      'a header line without a colon',
      'POST /checkout?user_id=carol&id=1 HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n',
      400,
      'invalid_request',
    ],
    [
      'a Content-Length that is not a number',
      'POST /checkout?user_id=carol&id=1 HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n',
      400,
      'invalid_request',
    ],
    [
      'headers larger than the server takes',
      `GET /sales/active HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
  ] as const)('%s: problem+json from the parser, nothing changed', async (_name, raw, status, code) => {
    await expectRawProblem(raw, status, code);
  });

  // Requests Node would refuse by itself with an empty body (it did, before 2026-12-06).
  it.each([
    ['an HTTP/1.1 request without Host', 'POST /checkout?user_id=carol&id=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 400, 'invalid_request'],
    [
      'an Expect the server does not meet',
      'POST /checkout?user_id=carol&id=1 HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 0\r\n\r\n',
      417,
      'expectation_failed',
    ],
  ] as const)('%s: problem+json with a request id, nothing changed', async (_name, raw, status, code) => {
    expect(await expectRawProblem(raw, status, code)).toMatch(/\r\nx-request-id: \S+/i);
  });

  it('still serves good requests afterwards', async () => {
    const res = await request(t.url).post('/checkout').query({ user_id: 'carol', item_id: items[1] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ saleId: sale.id, items: [items[1]] });
  });
});
