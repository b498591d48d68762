import http from 'node:http';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import request from 'supertest';
import { SaleEventHub } from '../../src/application/events/sale-event-hub.service';
import { PauseSaleUseCase } from '../../src/application/sales/pause-sale.use-case';
import { SaleCalendar } from '../../src/application/sales/sale-calendar.service';
import { Sale } from '../../src/domain/sale/sale.entity';
import { RedisConnections } from '../../src/infrastructure/redis/redis-connections';
import { saleEventsChannel } from '../../src/infrastructure/redis/sale-keys';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState } from '../support/test-env';
import { SseClient } from '../support/sse';

/*
 * GET /sales/:id/events: buyers see stock fall live. Events come through Redis pub/sub, so a page connected
 * to one instance sees purchases made on another; bursts are coalesced.
 */

let a: TestApp;
let b: TestApp;
let sale: Sale;
let items: number[];
const streams: SseClient[] = [];

beforeAll(async () => {
  await wipeState();
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
  sale = await createOpenSale(a, { itemsTotal: 30, perUserLimit: 30 });
  items = await itemIdsOf(a, sale);
  // b would see the new sale within a second by itself; the test does not wait for that.
  await b.app.get(SaleCalendar).refresh();
});

afterAll(async () => {
  for (const s of streams) s.close();
  await Promise.all([a.close(), b.close()]);
});

async function open(t: TestApp, saleId = sale.id): Promise<SseClient> {
  const s = await SseClient.open(`${t.url}/sales/${saleId}/events`);
  streams.push(s);
  return s;
}

async function buy(t: TestApp, user: string, itemIds: number[]): Promise<void> {
  let code = '';
  for (const id of itemIds) code = (await request(t.url).post('/checkout').query({ user_id: user, id })).body.code;
  const res = await request(t.url).post('/purchase').query({ code });
  expect(res.body.purchased).toEqual(itemIds);
}

describe('sale events', () => {
  it('spreads the reconnect hint over 2 to 4 s, so the pages of an instance that goes away do not all come back at once', async () => {
    const hints = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<number>((resolve, reject) => {
            const req = http.get(`${a.url}/sales/${sale.id}/events`, (res) => {
              res.once('data', (chunk: Buffer) => {
                req.destroy();
                resolve(Number(/^retry: (\d+)$/m.exec(chunk.toString())?.[1]));
              });
            });
            req.on('error', reject);
          }),
      ),
    );
    for (const ms of hints) expect(ms >= 2_000 && ms < 4_000).toBe(true);
    expect(new Set(hints).size).toBeGreaterThan(1);
  });

  it('starts with a snapshot, then reports sold items, also from another instance', async () => {
    const onA = await open(a);
    expect(onA.status).toBe(200);
    expect(onA.headers['content-type']).toMatch(/^text\/event-stream/);
    await onA.until(() => onA.of('snapshot').length === 1);
    expect(onA.of('snapshot')[0]!.data).toMatchObject({ saleId: sale.id, status: 'active', itemsSold: 0, remaining: 30 });

    await buy(b, 'bob', [items[0]!, items[1]!]);
    await onA.until(() => onA.of('stock').some((e) => e.data.soldOut.includes(items[1])));
    const soldOut = onA.of('stock').flatMap((e) => e.data.soldOut);
    expect(soldOut.sort()).toEqual([items[0], items[1]].sort());
    expect(onA.of('stock').at(-1)!.data).toMatchObject({ itemsSold: 2, remaining: 28 });
  });

  it('coalesces a burst of purchases into a few events a second', async () => {
    const s = await open(a);
    await s.until(() => s.of('snapshot').length === 1);
    const burst = items.slice(2, 22);
    const started = Date.now();
    await Promise.all(burst.map((id, i) => buy(i % 2 ? a : b, `burst-${i}`, [id])));
    await s.until(() => s.of('stock').flatMap((e) => e.data.soldOut).length === burst.length);
    const seconds = Math.max(1, (Date.now() - started) / 1000);
    // At most one stock event per 250 ms (plus one for the tail), not one per purchase.
    expect(s.of('stock').length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 1);
    expect(s.of('stock').length).toBeLessThan(burst.length);
  });

  it('announces pause and resume', async () => {
    const s = await open(b);
    await s.until(() => s.of('snapshot').length === 1);
    await a.app.get(PauseSaleUseCase).pause(sale.id);
    await s.until(() => s.of('paused').length === 1);
    expect((await request(b.url).post('/checkout').query({ user_id: 'late', id: items[25] })).body.code).toBe('sale_paused');
    await a.app.get(PauseSaleUseCase).resume(sale.id);
    await s.until(() => s.of('resumed').length === 1);
  });

  it('sends its pages a fresh snapshot when its event connection comes back, so a pause announced meanwhile is not missed', async () => {
    const s = await open(b);
    await s.until(() => s.of('snapshot').length === 1);
    expect(s.of('snapshot')[0]!.data).toMatchObject({ status: 'active' });
    // Cut this process's event connections (both instances run in it; only those of this db), then pause at
    // once: its announcement goes out while nobody of ours is subscribed, and pub/sub keeps nothing.
    const redis = rawRedis();
    const db = b.app.get(RedisConnections).db;
    const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ours = list.split('\n').filter((line) => line.includes(` name=flashsale:events:${process.pid} `) && line.includes(` db=${db} `));
    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours) await redis.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
    redis.disconnect();
    await a.app.get(PauseSaleUseCase).pause(sale.id);
    try {
      await s.until(() => s.of('snapshot').length >= 2, 5_000);
      expect(s.of('snapshot').at(-1)!.data).toMatchObject({ saleId: sale.id, status: 'paused' });
    } finally {
      await a.app.get(PauseSaleUseCase).resume(sale.id);
    }
  });

  it('keeps its events to its own Redis database: a service on another index (same sale ids) hears none', async () => {
    // Pub/sub ignores the database index, and the tests' sale ids repeat those of a service on index 0.
    const db = a.app.get(RedisConnections).db;
    const otherDb = db === 0 ? 1 : 0;
    const mine = saleEventsChannel(sale.id, db);
    const theirs = saleEventsChannel(sale.id, otherDb);
    expect(mine).not.toBe(theirs);
    const sub = new Redis(process.env.REDIS_URL!);
    const heard: string[] = [];
    sub.on('smessage', (channel: string, message: string) => heard.push(`${channel} ${message}`));
    try {
      await sub.ssubscribe(mine, theirs);
      await a.app.get(PauseSaleUseCase).pause(sale.id);
      await a.app.get(PauseSaleUseCase).resume(sale.id);
      await eventually(
        async () => heard.length,
        (n) => n >= 2,
      );
      expect(heard).toEqual([`${mine} paused`, `${mine} resumed`]);
    } finally {
      sub.disconnect();
    }
  });

  it('announces the sale sold out when the last unit goes', async () => {
    const s = await open(a);
    await s.until(() => s.of('snapshot').length === 1);
    await buy(a, 'last', items.slice(22));
    await s.until(() => s.of('sale_sold_out').length === 1);
    expect(s.of('sale_sold_out')[0]!.data).toEqual({ saleId: sale.id, itemsSold: 30 });
  });

  it("sends the request's id on the stream, as on every answer", async () => {
    const s = await open(a);
    await s.until(() => s.of('snapshot').length === 1);
    expect(s.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it("answers HEAD with the stream's headers and ends it, keeping no watcher", async () => {
    const hub = a.app.get(SaleEventHub);
    const before = hub.watcherCount();
    // Bounded: before, the response never ended (a HEAD has no body to send), and the watch stayed.
    const res = await request(a.url).head(`/sales/${sale.id}/events`).timeout(3_000);
    expect([res.status, res.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(
      await eventually(
        async () => hub.watcherCount(),
        (n) => n === before,
        3_000,
      ),
    ).toBe(before);
  });

  it('answers 404 problem+json for an unknown sale', async () => {
    const res = await request(a.url).get('/sales/987654/events');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('sale_not_found');
  });

  it('keeps nothing of a page that left before its stream opened', async () => {
    const c = await startTestApp();
    const redis = rawRedis();
    try {
      const hub = c.app.get(SaleEventHub);
      const { hostname, port } = new URL(c.url);
      // Redis holds every command for a moment (less than the app's 500 ms command timeout), so each request waits in the hub for the sale's live state
      // while its client hangs up: the stream is opened on a connection that is already gone.
      await redis.call('CLIENT', 'PAUSE', '400', 'ALL');
      const sockets = Array.from({ length: 10 }, () => {
        const socket = connect(Number(port), hostname, () => socket.write(`GET /sales/${sale.id}/events HTTP/1.1\r\nHost: x\r\n\r\n`));
        socket.on('error', () => undefined);
        return socket;
      });
      await new Promise((r) => setTimeout(r, 200));
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(hub.watcherCount()).toBe(0);
      // A page that stays is counted, and is no longer once it leaves: the count above could have been more.
      const s = await open(c);
      await s.until(() => s.of('snapshot').length === 1);
      expect(hub.watcherCount()).toBe(1);
      s.close();
      expect(
        await eventually(
          async () => hub.watcherCount(),
          (n) => n === 0,
          3_000,
        ),
      ).toBe(0);
    } finally {
      redis.disconnect();
      await c.close();
    }
  });

  it('does not keep the server from shutting down', async () => {
    const c = await startTestApp();
    const s = await open(c);
    await s.until(() => s.of('snapshot').length === 1);
    await c.close();
    await s.until(() => s.ended);
    expect(s.ended).toBe(true);
  });
});
