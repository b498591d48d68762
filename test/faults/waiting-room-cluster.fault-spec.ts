import { RedisClusterFleet } from '../../scripts/fleet/redis-fleet';
import { redisEnv } from '../support/fleet';
import { SseClient } from '../support/sse';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, wipeState } from '../support/test-env';

/*
 * The waiting room on a Redis Cluster (three primaries with a replica each): every line script touches only keys of its sale's
 * hash tag and publishes on the sale's shard channel, so the Cluster runs them as they are. Joining, a
 * lottery place, admission, a checkout and purchase with the admission, and the sell-out closing the line on
 * a waiting buyer's page.
 */

jest.setTimeout(120_000);

let redis: RedisClusterFleet;
let t: TestApp;
const streams: SseClient[] = [];

beforeAll(async () => {
  await wipeState();
  redis = await RedisClusterFleet.start({ primaries: 3, replicasPerPrimary: 1 });
  t = await startTestApp({
    ...redisEnv(redis),
    WAITING_ROOM: 'on',
    WAITING_ROOM_SECRET: 'cluster-waiting-room-secret-0123456789ab',
  });
});

afterAll(async () => {
  for (const s of streams) s.close();
  await t?.close();
  await redis?.stop();
});

const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, { method, headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('waiting room on a Redis Cluster', () => {
  it('joins, admits, lets the admitted buy, and closes the line on the sell-out', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 1, perUserLimit: 1, startsInMs: 2_000 });
    const [item] = await itemIdsOf(t, sale);
    for (const u of ['c1', 'c2', 'c3']) expect((await call('POST', `/sales/${sale.id}/line?user_id=${u}`)).body.status).toBe('waiting');
    const again = await call('POST', `/sales/${sale.id}/line?user_id=c2`);
    expect(again.body.position).toBe((await call('GET', `/sales/${sale.id}/line?user_id=c2`)).body.position);

    // One unit: one buyer admitted at the start, the other two wait with their pages open.
    const places = await eventually(
      () => Promise.all(['c1', 'c2', 'c3'].map((u) => call('GET', `/sales/${sale.id}/line?user_id=${u}`))),
      (p) => p.some((x) => x.body.status === 'admitted'),
      10_000,
    );
    const winner = ['c1', 'c2', 'c3'][places.findIndex((p) => p.body.status === 'admitted')]!;
    const waiting = ['c1', 'c2', 'c3'].filter((u) => u !== winner);
    for (const u of waiting) streams.push(await SseClient.open(`${t.url}/sales/${sale.id}/events?user_id=${u}`));
    for (const s of streams) await s.until(() => s.of('line').length > 0);

    const h = { admission: places.find((p) => p.body.status === 'admitted')!.body.admission };
    expect((await call('POST', `/checkout?user_id=${waiting[0]}&id=${item}`, h)).body.code).toBe('admission_required');
    const co = await call('POST', `/checkout?user_id=${winner}&id=${item}`, h);
    expect(co.status).toBe(200);
    expect((await call('POST', `/purchase?code=${co.body.code}`, h)).body.purchased).toEqual([item]);
    for (const s of streams) await s.until(() => s.of('line_closed').length > 0, 2_000);
    expect(streams[0]!.of('line_closed')[0]!.data).toEqual({ saleId: sale.id, reason: 'sold_out' });
  });
});
