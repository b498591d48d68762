import { appEnv, settle, startApp, stopApp } from '../lib/app';
import { call, inParallel } from '../lib/http';
import { WORLD_ENV } from '../lib/instances';
import { freePort, log, logTail, sleep, startNode, stopChild } from '../lib/processes';
import { mainSale } from '../lib/sales';
import { cpuSeconds } from '../lib/sampling';
import { S } from '../lib/settings';
import { World } from '../lib/scenario';
import type { Ctx, TaskResult, TaskScenario } from '../lib/scenario';
import type { Data } from '../lib/data';

/*
 * The order worker's throughput, first thing in the main world (its queue then holds only these orders).
 * With no worker running, an app instance takes S.drainOrders purchases of S.drainItemsPerOrder items and
 * relays them into the order queue; it is stopped, `node dist/worker.js` is started, and the bench times
 * how fast the orders become rows in PostgreSQL (from the first row seen to the last: Node's and Nest's
 * start-up are shown on their own).
 */

interface Drain {
  readonly orders: number;
  readonly itemsPerOrder: number;
  readonly orderItems: number;
  readonly workerStartSeconds: number;
  readonly drainSeconds: number;
  readonly ordersPerSecond: number;
  readonly workerCpuPercent: number;
  readonly workerCpuMicrosPerOrder: number;
  readonly complete: boolean;
}

async function prepareOrders(ctx: Ctx): Promise<void> {
  const [n, k] = [S.drainOrders, S.drainItemsPerOrder];
  const sale = await mainSale(ctx);
  log(`drain: preparing ${n} orders of ${k} items (${n * k} checkouts, then ${n} purchases)`);
  const port = ctx.server.port;
  const codes = new Array<string>(n);
  // Consecutive orders hold distinct items, so batches written side by side do not update the same rows.
  await inParallel(n * k, S.connections, async (i) => {
    const r = await call(port, 'POST', `/checkout?user_id=d${Math.floor(i / k)}&id=${sale.pool[i % sale.pool.length]}`);
    if (r.status !== 200) throw new Error(`drain checkout: ${r.status} ${r.body}`);
    codes[Math.floor(i / k)] = (JSON.parse(r.body) as { code: string }).code;
  });
  await inParallel(n, S.connections, async (i) => {
    const r = await call(port, 'POST', `/purchase?code=${codes[i]}`);
    const o = JSON.parse(r.body) as { orderId?: string | null; purchased?: number[] };
    if (r.status !== 200 || !o.orderId || o.purchased?.length !== k) throw new Error(`drain purchase: ${r.status} ${r.body}`);
  });
  // The relay (outbox to queue) and the attempts writer done: then the worker only writes orders.
  await settle(ctx.data, ctx.server, [sale.id]);
  if ((await ctx.data.count('orders')) !== 0) throw new Error('orders were written before the worker started');
}

async function timeWorker(data: Data): Promise<Drain> {
  log('drain: starting node dist/worker.js');
  const t0 = Date.now();
  const worker = startNode('worker', ['dist/worker.js'], appEnv(0, WORLD_ENV.main));
  try {
    const pid = worker.process.pid ?? 0;
    let first: { at: number; count: number; cpu: number } | undefined;
    let last = { at: t0, count: 0, cpu: 0 };
    while (last.count < S.drainOrders && Date.now() < t0 + 180_000) {
      if (worker.exited) throw new Error(`the worker exited (${worker.exited}) during the drain:\n${logTail(worker)}`);
      last = { at: Date.now(), count: await data.count('orders'), cpu: cpuSeconds(pid) };
      if (!first && last.count > 0) first = last;
      if (last.count < S.drainOrders) await sleep(25);
    }
    const seconds = first ? (last.at - first.at) / 1000 : NaN;
    const cpu = first ? last.cpu - first.cpu : NaN;
    const written = first ? last.count - first.count : NaN;
    return {
      orders: last.count,
      itemsPerOrder: S.drainItemsPerOrder,
      orderItems: await data.count('order_items'),
      workerStartSeconds: first ? (first.at - t0) / 1000 : NaN,
      drainSeconds: seconds,
      ordersPerSecond: written / seconds,
      workerCpuPercent: (100 * cpu) / seconds,
      workerCpuMicrosPerOrder: (1e6 * cpu) / written,
      complete: last.count >= S.drainOrders,
    };
  } finally {
    await stopChild(worker);
  }
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';

function section(d: Drain): string[] {
  return [
    '| Worker drain | Orders | Items/order | Worker start s | Drain s | Orders/s | Worker CPU % | Worker CPU µs/order |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| node dist/worker.js, WORKER_CONCURRENCY and ORDER_BATCH_SIZE at their defaults | ${fmt(d.orders)} | ${d.itemsPerOrder} | ` +
      `${fmt(d.workerStartSeconds, 2)} | ${fmt(d.drainSeconds, 2)} | **${fmt(d.ordersPerSecond)}** | ${fmt(d.workerCpuPercent)} | ${fmt(d.workerCpuMicrosPerOrder)} |`,
  ];
}

async function run(data: Data, world: World): Promise<TaskResult> {
  const app = await startApp('app-drain', WORLD_ENV.main, await freePort());
  try {
    await prepareOrders({ data, world, server: app, yardstick: null });
  } finally {
    await stopApp(app);
  }
  const d = await timeWorker(data);
  const problems: string[] = [];
  if (!d.complete) problems.push(`worker drain: only ${d.orders} of ${S.drainOrders} orders reached PostgreSQL in time`);
  if (d.orderItems !== d.orders * d.itemsPerOrder) problems.push(`worker drain: ${d.orderItems} order items for ${d.orders} orders`);
  return { name: 'drain', section: section(d), json: d, problems };
}

export const DRAIN: TaskScenario = { name: 'drain', group: 'drain', world: 'main', run };
