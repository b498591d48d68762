import { SaleCalendar } from '../../src/application/sales/sale-calendar.service';
import { saleKeys } from '../../src/infrastructure/redis/sale-keys';
import { TestApp, createOpenSale, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState } from '../support/test-env';

/*
 * A waiting buyer who stops reading the line (and has no event stream open) gives the turn to the next one.
 * Its own file: every instance running on the same Redis steps every line, with its own heartbeat setting.
 */

const SECRET = 'test-waiting-room-secret-0123456789abcdef';
const redis = rawRedis();
afterAll(() => redis.disconnect());

describe('waiting room heartbeats', () => {
  let h: TestApp;
  beforeAll(async () => {
    h = await startTestApp({ WAITING_ROOM: 'on', WAITING_ROOM_SECRET: SECRET, WAITING_ROOM_HEARTBEAT_SECONDS: '5' });
  });
  afterAll(() => h.close());

  it('gives the turn of a buyer who left (no heartbeat) to the next one', async () => {
    await wipeState();
    await h.app.get(SaleCalendar).refresh();
    // The start is well over the 5 s heartbeat after the joins, however slowly a busy machine lets them in: "gone"
    // must be unseen for longer than that when the lottery's first places are admitted (6 s flaked on CI).
    const sale = await createOpenSale(h, { itemsTotal: 10, startsInMs: 12_000 });
    const at = (user: string, method: 'GET' | 'POST') =>
      fetch(`${h.url}/sales/${sale.id}/line?user_id=${user}`, { method }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as any,
      }));
    await at('gone', 'POST');
    await at('here', 'POST');
    // "here" keeps reading its place (its heartbeat); "gone" closes the page and is not seen for 5 s.
    const here = await eventually(
      () => at('here', 'GET'),
      (r) => r.body.status === 'admitted',
      25_000,
      1_000,
    );
    expect(here.body.status).toBe('admitted');
    expect(await at('gone', 'GET')).toMatchObject({ status: 404, body: { code: 'not_in_line' } });
    expect(await redis.hget(saleKeys(sale.id).lineState, 'admittedTotal')).toBe('1');
  });
});
