import type { StreamCounts } from '../children/event-streams';
import { MAIN } from '../lib/instances';
import { call } from '../lib/http';
import { ask, log, openFileLimit, startNode, stopChild, waitFor } from '../lib/processes';
import { mainSale } from '../lib/sales';
import { MiB, cpuSeconds, rssBytes } from '../lib/sampling';
import { S } from '../lib/settings';
import type { Ctx, LoadScenario, Row, Server } from '../lib/scenario';
import { pairsLoad } from './buy';

/*
 * Checkout+purchase pairs while S.streams GET /sales/:id/events streams are open on the sale (each purchase
 * publishes stock events the app coalesces to four a second and sends to every stream). wrk cannot hold
 * Server-Sent Events streams, so a child of the bench does (bench/children/event-streams.ts), in its own
 * process: its CPU shows on its own. The cost is against the pairs row.
 */

/** flashsale_sale_event_streams on the app's /metrics: open event streams as the app counts them. */
export async function serverStreams(port: number): Promise<number> {
  const m = /^flashsale_sale_event_streams (\d+)/m.exec((await call(port, 'GET', '/metrics')).body);
  return m ? Number(m[1]) : NaN;
}

/** Opens the streams (child process), returns it once every stream has its snapshot. */
export async function openStreams(
  server: Server,
  saleId: number,
  userPrefix = '',
): Promise<{ client: ReturnType<typeof startNode>; opened: StreamCounts }> {
  log(`opening ${S.streams} GET /sales/${saleId}/events streams (bench/children/event-streams.ts)`);
  const client = startNode(
    'event-streams',
    ['-r', 'ts-node/register/transpile-only', 'bench/children/event-streams.ts'],
    { PORT: String(server.port), STREAM_PATH: `/sales/${saleId}/events`, STREAMS: String(S.streams), USER_PREFIX: userPrefix },
    true,
  );
  try {
    return { client, opened: await ask<StreamCounts>(client, null, 'opened', 120_000) };
  } catch (e) {
    await stopChild(client);
    throw e;
  }
}

/** Closes them and waits until the app counts none (returns what it counts). */
export async function closeStreams(server: Server, client: ReturnType<typeof startNode>): Promise<{ closed: StreamCounts; left: number }> {
  try {
    const closed = await ask<StreamCounts>(client, { cmd: 'close' }, 'closed', 30_000);
    const left = await waitFor(
      'the app to see every stream closed',
      async () => ((await serverStreams(server.port)) === 0 ? 0 : undefined),
      10_000,
    ).catch(() => serverStreams(server.port));
    return { closed, left };
  } finally {
    await stopChild(client);
  }
}

async function withStreams(ctx: Ctx, measure: () => Promise<Row>): Promise<Row> {
  const sale = await mainSale(ctx);
  const { client, opened } = await openStreams(ctx.server, sale.id);
  const counted = await serverStreams(ctx.server.port);
  await ask<StreamCounts>(client, { cmd: 'mark' }, 'mark', 10_000);
  const clientCpu = cpuSeconds(client.process.pid ?? 0);
  const started = Date.now();
  const row = await measure();
  const seconds = (Date.now() - started) / 1000;
  const rss = rssBytes(ctx.server.pid);
  const during = await ask<StreamCounts>(client, { cmd: 'count' }, 'count', 10_000);
  const clientPercent = (100 * (cpuSeconds(client.process.pid ?? 0) - clientCpu)) / seconds;
  const limits = `open-file limits: app ${openFileLimit(ctx.server.pid)}, client ${openFileLimit(client.process.pid ?? 0)}`;
  const { closed, left } = await closeStreams(ctx.server, client);
  row.notes.push(
    `${opened.withSnapshot} of ${S.streams} streams opened in ${(opened.openMs / 1000).toFixed(1)} s (the app counted ${counted}); ` +
      `${during.open} open after the run; ${during.stockSinceMark} stock events while measured (warm-ups and bare runs included) ` +
      `(${during.stockSinceMarkMin} to ${during.stockSinceMarkMax} per stream); the stream client used ${clientPercent.toFixed(0)}% of a core; ` +
      `app RSS ${(rss / MiB).toFixed(0)} MiB with them open; ${limits}`,
  );
  if (opened.withSnapshot !== S.streams || counted !== S.streams || during.open !== S.streams)
    row.problems.push(
      `streams: ${opened.withSnapshot} opened, the app counted ${counted}, ${during.open} open after the run, of ${S.streams}`,
    );
  if (during.stockSinceMarkMin < 1) row.problems.push('streams: some stream received no stock event during the run');
  if (closed.open !== 0 || left !== 0) row.problems.push(`streams: still open after closing: ${closed.open} (client), ${left} (app)`);
  return row;
}

export const STREAMS: readonly LoadScenario[] = [
  {
    name: 'pairs-streams',
    group: 'streams',
    label: `checkout then purchase, ${S.streams.toLocaleString('en-US')} open event streams`,
    on: MAIN,
    cost: { baseline: 'pairs' },
    load: (ctx) => pairsLoad(ctx),
    around: withStreams,
  },
];
