import http from 'node:http';
import net from 'node:net';
import { createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { HttpResult, NodeProcess, buildDist, freePort, httpRequest, killAll, spawnDist, waitUntilReady } from '../support/processes';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';
import { Sale } from '../../src/domain/sale/sale.entity';

/*
 * The production entry points as real processes (node dist/main.js, node dist/worker.js): configuration
 * checked at start, graceful shutdown on SIGTERM, and the API and the order worker in separate processes.
 */

jest.setTimeout(60_000);

beforeAll(() => {
  buildDist();
}, 120_000);

afterAll(async () => {
  await killAll();
});

const orderIdsInPg = () => withPg(async (pg) => (await pg.query<{ id: string }>('SELECT id FROM orders')).rows.map((r) => r.id).sort());

/** Creates an open sale (and loads it) through a short-lived in-process app that writes no orders. */
async function prepareSale(itemsTotal: number, perUserLimit = 10): Promise<{ sale: Sale; items: number[] }> {
  const t = await startTestApp({ WORKER_ENABLED: 'false' });
  try {
    const sale = await createOpenSale(t, { itemsTotal, perUserLimit });
    return { sale, items: await itemIdsOf(t, sale) };
  } finally {
    await t.close();
  }
}

/** Starts the in-process app (worker on) until every order has been written, and returns the order ids. */
async function drainWithWorker(expected: number): Promise<string[]> {
  const t = await startTestApp();
  try {
    return await eventually(orderIdsInPg, (ids) => ids.length >= expected, 30_000, 100);
  } finally {
    await t.close();
  }
}

describe('a bad configuration value', () => {
  const cases: [string, Record<string, string>, string[]][] = [
    ['PORT not a number', { PORT: 'abc' }, ['PORT']],
    ['PORT out of range', { PORT: '70000' }, ['PORT']],
    ['SALE_ITEMS zero', { SALE_ITEMS: '0' }, ['SALE_ITEMS']],
    ['REDIS_URL not redis://', { REDIS_URL: 'http://x' }, ['REDIS_URL']],
    ['DATABASE_URL not postgresql://', { DATABASE_URL: 'mysql://u:p@127.0.0.1/db' }, ['DATABASE_URL']],
    ['WORKER_CONCURRENCY negative', { WORKER_CONCURRENCY: '-1' }, ['WORKER_CONCURRENCY']],
    ['SALE_DURATION_SECONDS fractional', { SALE_DURATION_SECONDS: '1.5' }, ['SALE_DURATION_SECONDS']],
    ['SALE_SCHEDULER_ENABLED not a boolean', { SALE_SCHEDULER_ENABLED: 'maybe' }, ['SALE_SCHEDULER_ENABLED']],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, ['LOG_LEVEL']],
    ['two bad values at once', { PORT: 'abc', SALE_CAP: '0' }, ['PORT', 'SALE_CAP']],
    ['two Redis topologies at once', { REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, ['REDIS_URL', 'REDIS_CLUSTER_NODES']],
    [
      'Sentinel without its primary name',
      { REDIS_URL: '', REDIS_SENTINELS: '127.0.0.1:26379' },
      ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER'],
    ],
  ];
  const runs = new Map<string, Promise<{ exit: Awaited<ReturnType<NodeProcess['exitWithin']>>; proc: NodeProcess }>>();

  beforeAll(async () => {
    // All at once; each gets a free port so that a value wrongly accepted cannot collide with anything.
    for (const [name, env] of cases) {
      const port = String(await freePort());
      const proc = spawnDist('main.js', { PORT: port, ...env });
      runs.set(
        name,
        proc.exitWithin(20_000).then((exit) => ({ exit, proc })),
      );
    }
    const port = String(await freePort());
    const worker = spawnDist('worker.js', { PORT: port, WORKER_CONCURRENCY: '0' });
    runs.set(
      'worker.js: WORKER_CONCURRENCY zero',
      worker.exitWithin(20_000).then((exit) => ({ exit, proc: worker })),
    );
  });

  it.each([
    ...cases.map(([name, , vars]) => [name, vars] as const),
    ['worker.js: WORKER_CONCURRENCY zero', ['WORKER_CONCURRENCY']] as const,
  ])('%s: the process stops with a non-zero code and names the variable', async (name, vars) => {
    const { exit, proc } = await runs.get(name)!;
    const detail = `stdout:\n${proc.output.stdout}\nstderr:\n${proc.output.stderr}`;
    expect({ exited: exit !== null, detail }).toEqual({ exited: true, detail });
    expect(exit!.signal).toBeNull();
    expect(exit!.code).not.toBe(0);
    // Each variable at the start of a problem line, shown with its value (a rule across several names them all).
    for (const v of vars) expect(proc.output.stderr).toMatch(new RegExp(`^\\s+(\\S+=(\\(hidden[^)]*\\)|\\S+) )*${v}=`, 'm'));
    // Stopped by the configuration check, before starting anything.
    expect(proc.output.stderr).toContain('invalid configuration');
    expect(proc.output.stdout).not.toMatch(/listening|worker running/);
  });
});

describe('SIGTERM while buyers keep coming', () => {
  const ITEMS = 6000;
  const CLIENTS = 48;
  const SIGNAL_AFTER = 150;
  let api: NodeProcess;
  let sale: Sale;
  let items: number[];
  let url: string;

  beforeAll(async () => {
    await wipeState();
    ({ sale, items } = await prepareSale(ITEMS));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawnDist('main.js', { PORT: String(port), SHUTDOWN_GRACE_MS: '15000', LOG_LEVEL: 'warn' });
    await waitUntilReady(url, api);
  });

  afterAll(async () => {
    await api?.kill();
  });

  it('finishes what it took, refuses the rest cleanly, exits 0, and every acknowledged purchase becomes an order', async () => {
    interface Flow {
      user: string;
      item: number;
      checkout: HttpResult;
      purchase?: HttpResult;
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const flows: Flow[] = [];
    let next = 0;
    let purchasesAnswered = 0;
    let signalledAt = Infinity;
    // Each client buys one item after another (a new user each time) until the server stops answering.
    const client = async (c: number) => {
      while (next < items.length) {
        const item = items[next++]!;
        const flow: Flow = {
          user: `c${c}-${item}`,
          item,
          checkout: await httpRequest(agent, 'POST', `${url}/checkout?user_id=c${c}-${item}&id=${item}`),
        };
        flows.push(flow);
        if (flow.checkout.status !== 200) return;
        flow.purchase = await httpRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(flow.checkout.body.code)}`);
        if (flow.purchase.status !== 200) return;
        if (++purchasesAnswered === SIGNAL_AFTER) {
          signalledAt = Date.now();
          api.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    agent.destroy();
    const exit = await api.exitWithin(20_000);
    const detail = `stdout:\n${api.output.stdout.slice(-3000)}\nstderr:\n${api.output.stderr.slice(-3000)}`;
    expect(signalledAt).toBeLessThan(Infinity);
    expect({ exit, detail }).toEqual({ exit: { code: 0, signal: null }, detail });
    const results = flows.flatMap((f) => (f.purchase ? [f.checkout, f.purchase] : [f.checkout]));

    // The scenario happened: traffic was still coming when the server stopped taking it.
    expect(next).toBeLessThan(items.length);
    // Every response is a proper answer: the result, or 503 once the server is closing. Never a 5xx error,
    // never a refusal that makes no sense here (each item is bought once, by one new user).
    for (const r of results) if (r.status !== undefined) expect([200, 503]).toContain(r.status);
    for (const f of flows) {
      if (f.checkout.status === 200) expect(f.checkout.body.items).toEqual([f.item]);
      if (f.purchase?.status === 200) expect(f.purchase.body.purchased).toEqual([f.item]);
    }
    // Requests in flight when the signal came, and those taken while the process wound down, were answered.
    expect(results.filter((r) => r.status === 200 && r.at > signalledAt).length).toBeGreaterThan(0);

    // A request that got no response must not have been carried out: whatever the server did, it answered.
    const redis = rawRedis();
    let lostCheckouts: string[] = [];
    let lostPurchases: string[] = [];
    try {
      const open = await redis.hgetall(`{sale:${sale.id}}:open`);
      lostCheckouts = flows
        .filter((f) => f.checkout.status !== 200 && open[f.user] !== undefined)
        .map((f) => `${f.user}: ${f.checkout.error ?? f.checkout.status}`);
      const records = await redis.hgetall(`{sale:${sale.id}}:checkouts`);
      lostPurchases = flows
        .filter((f) => f.purchase && f.purchase.status !== 200 && JSON.parse(records[f.checkout.body.code] ?? '{}').s === 'spent')
        .map((f) => `${f.user}: ${f.purchase!.error ?? f.purchase!.status}`);
    } finally {
      redis.disconnect();
    }
    expect(lostCheckouts).toEqual([]);
    expect(lostPurchases).toEqual([]);

    // Every acknowledged purchase is an order once a worker has drained what the process left behind, and
    // there is no order nobody was told about.
    const acknowledged = flows.filter((f) => f.purchase?.status === 200).map((f) => f.purchase!.body.orderId as string);
    expect(acknowledged.length).toBeGreaterThanOrEqual(SIGNAL_AFTER);
    const orders = await drainWithWorker(acknowledged.length);
    expect(orders).toEqual([...acknowledged].sort());
    const lines = await withPg(async (pg) => (await pg.query('SELECT count(*)::int AS n FROM order_items')).rows[0].n);
    expect(lines).toBe(acknowledged.length);
  });
});

describe('a request that arrives while the server is closing', () => {
  let api: NodeProcess;
  let port: number;

  beforeAll(async () => {
    await wipeState();
    port = await freePort();
    api = spawnDist('main.js', { PORT: String(port), SHUTDOWN_GRACE_MS: '15000', LOG_LEVEL: 'warn' });
    await waitUntilReady(`http://127.0.0.1:${port}`, api);
  });

  afterAll(async () => {
    await api?.kill();
  });

  it('is answered 503 problem+json service_unavailable with Retry-After, like every other error', async () => {
    // A client that has started sending a request (headers not complete yet) when SIGTERM comes.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let raw = '';
    socket.setEncoding('utf8').on('data', (d: string) => (raw += d));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /sales/active HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    api.child.kill('SIGTERM');
    // Wait until the server has stopped accepting connections: it is closing now.
    const probe = new http.Agent({ keepAlive: false });
    const refused = await eventually(
      () => httpRequest(probe, 'GET', `http://127.0.0.1:${port}/health/live`, 1_000),
      (r) => r.error === 'ECONNREFUSED',
      10_000,
      10,
    );
    expect(refused.error).toBe('ECONNREFUSED');
    socket.write('\r\n');
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000).unref())]);
    socket.destroy();
    // The request is answered and the process still stops cleanly.
    expect(await api.exitWithin(15_000)).toEqual({ code: 0, signal: null });

    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/^connection: close/im);
    expect(head).toMatch(/^content-type: application\/problem\+json/im);
    expect(head).toMatch(/^retry-after: \d+/im);
    expect(JSON.parse(body ?? '{}')).toMatchObject({ status: 503, code: 'service_unavailable' });
  });
});

describe('the API and the order worker in separate processes', () => {
  const BUYERS = 30;
  let api: NodeProcess;
  let worker: NodeProcess | undefined;
  let url: string;
  let sale: Sale;
  let items: number[];

  beforeAll(async () => {
    await wipeState();
    ({ sale, items } = await prepareSale(BUYERS));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawnDist('main.js', { PORT: String(port), WORKER_ENABLED: 'false', LOG_LEVEL: 'warn' });
    await waitUntilReady(url, api);
  });

  afterAll(async () => {
    await Promise.all([api?.kill(), worker?.kill()]);
  });

  it('queues purchases while only the API runs, and writes them all once dist/worker.js starts', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const orderIds = await Promise.all(
      items.map(async (item, i) => {
        const c = await httpRequest(agent, 'POST', `${url}/checkout?user_id=split-${i}&id=${item}`);
        expect(c.status).toBe(200);
        const p = await httpRequest(agent, 'POST', `${url}/purchase?code=${encodeURIComponent(c.body.code)}`);
        expect(p.status).toBe(200);
        expect(p.body.purchased).toEqual([item]);
        return p.body.orderId as string;
      }),
    );
    agent.destroy();
    expect(new Set(orderIds).size).toBe(BUYERS);

    // The API still relays the outbox into the queue, but nothing takes the jobs out of it.
    const redis = rawRedis();
    try {
      const relayed = await eventually(
        async () => ({ outbox: await redis.xlen(`{sale:${sale.id}}:outbox`), waiting: await redis.llen('{flashsale}:orders:wait') }),
        (s) => s.outbox === 0 && s.waiting > 0,
        10_000,
      );
      expect(relayed.outbox).toBe(0);
      expect(relayed.waiting).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await orderIdsInPg()).toEqual([]);
      expect(await redis.llen('{flashsale}:orders:wait')).toBe(relayed.waiting);
    } finally {
      redis.disconnect();
    }

    worker = spawnDist('worker.js', { LOG_LEVEL: 'warn' });
    const written = await eventually(orderIdsInPg, (ids) => ids.length >= BUYERS, 20_000, 100);
    expect(written).toEqual([...orderIds].sort());
    const soldItems = await withPg(async (pg) =>
      (await pg.query<{ id: number }>('SELECT id FROM items WHERE sold ORDER BY id')).rows.map((r) => r.id),
    );
    expect(soldItems).toEqual(items);

    // Both stop cleanly on SIGTERM.
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    const [apiExit, workerExit] = await Promise.all([api.exitWithin(15_000), worker.exitWithin(15_000)]);
    expect({
      api: apiExit,
      worker: workerExit,
      apiErr: api.output.stderr.slice(-2000),
      workerErr: worker.output.stderr.slice(-2000),
    }).toMatchObject({
      api: { code: 0, signal: null },
      worker: { code: 0, signal: null },
    });
  });
});
