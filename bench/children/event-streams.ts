import http from 'node:http';

/*
 * A child of the bench (started with an IPC channel): holds STREAMS open `GET <STREAM_PATH>` Server-Sent
 * Events connections to the app on 127.0.0.1:PORT and counts what they receive. It runs in its own process
 * so that reading thousands of streams neither slows the load generator's event loop nor hides in its CPU
 * time; the bench reports this process's CPU on its own.
 *
 * Messages from the bench: { cmd: 'count' } -> a Counts reply; { cmd: 'mark' } -> the same, and the
 * per-stream stock counts since the mark start from there; { cmd: 'close' } -> every socket destroyed,
 * then a Counts reply once all of them have closed. On start it opens the streams (OPEN_CONCURRENCY at a
 * time, each counted as open once its `event: snapshot` arrived) and sends { type: 'opened', ... }.
 * It exits by itself if the bench goes away (the IPC channel closes).
 */

export interface StreamCounts {
  readonly type: 'opened' | 'count' | 'mark' | 'closed';
  /** Streams whose response has started and that have not ended. */
  readonly open: number;
  /** `event: snapshot` received, over all streams (one per stream is expected). */
  readonly snapshots: number;
  /** Streams that received their snapshot. */
  readonly withSnapshot: number;
  /** `event: stock` received, over all streams, and the fewest and most on any one stream. */
  readonly stock: number;
  readonly stockMin: number;
  readonly stockMax: number;
  /** The same since the last { cmd: 'mark' } (or since the start). */
  readonly stockSinceMark: number;
  readonly stockSinceMarkMin: number;
  readonly stockSinceMarkMax: number;
  /** `event: line` received (a waiting buyer's place, with USER_PREFIX), over all and the fewest on a stream. */
  readonly line: number;
  readonly lineMin: number;
  /** Every `event:` line received (snapshot, stock and any other). */
  readonly events: number;
  readonly bytes: number;
  /** Streams the server ended, or that failed (with the first few error messages). */
  readonly ended: number;
  readonly failed: number;
  readonly errors: string[];
  readonly statuses: Record<string, number>;
  readonly openMs: number;
}

const PORT = Number(process.env.PORT);
const PATH = process.env.STREAM_PATH ?? '/';
const STREAMS = Number(process.env.STREAMS ?? 2000);
const OPEN_CONCURRENCY = Number(process.env.OPEN_CONCURRENCY ?? 100);
const OPEN_TIMEOUT_MS = Number(process.env.OPEN_TIMEOUT_MS ?? 30_000);
/** When set, stream i is opened as the buyer `<USER_PREFIX><i>` (?user_id=, trusted mode): a waiting buyer's page. */
const USER_PREFIX = process.env.USER_PREFIX ?? '';

interface Stream {
  req?: http.ClientRequest;
  res?: http.IncomingMessage;
  snapshots: number;
  stock: number;
  line: number;
  /** `stock` at the last mark. */
  mark: number;
  events: number;
  /** The unfinished last line of what arrived so far. */
  rest: string;
  done: boolean;
}

const streams: Stream[] = [];
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let ended = 0;
let failed = 0;
let bytes = 0;
let closing = false;
let openMs = 0;
const errors: string[] = [];
const statuses: Record<string, number> = {};

function send(message: StreamCounts): void {
  process.send?.(message);
}

function counts(type: StreamCounts['type']): StreamCounts {
  let open = 0;
  let snapshots = 0;
  let withSnapshot = 0;
  let stock = 0;
  let events = 0;
  let stockMin = Infinity;
  let stockMax = 0;
  let since = 0;
  let sinceMin = Infinity;
  let sinceMax = 0;
  let line = 0;
  let lineMin = Infinity;
  for (const s of streams) {
    line += s.line;
    lineMin = Math.min(lineMin, s.line);
    since += s.stock - s.mark;
    sinceMin = Math.min(sinceMin, s.stock - s.mark);
    sinceMax = Math.max(sinceMax, s.stock - s.mark);
    if (s.res && !s.done) open++;
    snapshots += s.snapshots;
    if (s.snapshots > 0) withSnapshot++;
    stock += s.stock;
    events += s.events;
    stockMin = Math.min(stockMin, s.stock);
    stockMax = Math.max(stockMax, s.stock);
  }
  return {
    type,
    open,
    snapshots,
    withSnapshot,
    stock,
    stockMin: Number.isFinite(stockMin) ? stockMin : 0,
    stockMax,
    stockSinceMark: since,
    stockSinceMarkMin: Number.isFinite(sinceMin) ? sinceMin : 0,
    stockSinceMarkMax: sinceMax,
    line,
    lineMin: Number.isFinite(lineMin) ? lineMin : 0,
    events,
    bytes,
    ended,
    failed,
    errors: errors.slice(0, 5),
    statuses,
    openMs,
  };
}

function noteError(message: string): void {
  if (errors.length < 20) errors.push(message);
}

/** Opens one stream; resolves once its snapshot arrived (or it failed). */
function openOne(index: number): Promise<void> {
  const s: Stream = { snapshots: 0, stock: 0, line: 0, mark: 0, events: 0, rest: '', done: false };
  const path = USER_PREFIX ? `${PATH}?user_id=${USER_PREFIX}${index}` : PATH;
  streams.push(s);
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const req = http.request({ host: '127.0.0.1', port: PORT, method: 'GET', path, agent, headers: { accept: 'text/event-stream' } });
    s.req = req;
    req.setTimeout(OPEN_TIMEOUT_MS, () => {
      if (s.snapshots === 0) req.destroy(new Error(`no snapshot in ${OPEN_TIMEOUT_MS} ms`));
    });
    req.on('response', (res) => {
      statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
      s.res = res;
      if (res.statusCode !== 200) {
        noteError(`status ${res.statusCode}`);
        failed++;
        s.done = true;
        res.resume();
        settle();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += chunk.length;
        const text = s.rest + chunk;
        const last = text.lastIndexOf('\n');
        s.rest = text.slice(last + 1);
        if (last < 0) return;
        // Frames are "event: <type>\ndata: <json>\n\n"; only the event lines are counted.
        let at = text.indexOf('event: ');
        while (at !== -1 && at < last) {
          if (at === 0 || text.charCodeAt(at - 1) === 10) {
            s.events++;
            if (text.startsWith('snapshot\n', at + 7)) s.snapshots++;
            else if (text.startsWith('stock\n', at + 7)) s.stock++;
            else if (text.startsWith('line\n', at + 7)) s.line++;
          }
          at = text.indexOf('event: ', at + 7);
        }
        if (s.snapshots > 0) {
          req.setTimeout(0);
          settle();
        }
      });
      res.on('close', () => {
        if (!s.done) {
          s.done = true;
          if (!closing) ended++;
        }
        settle();
      });
    });
    req.on('error', (e) => {
      if (!closing) {
        failed++;
        noteError(e.message);
      }
      s.done = true;
      settle();
    });
    req.end();
  });
}

async function openAll(): Promise<void> {
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(OPEN_CONCURRENCY, STREAMS) }, async () => {
      while (next < STREAMS && !closing) {
        await openOne(next++);
      }
    }),
  );
  openMs = Date.now() - started;
}

async function closeAll(): Promise<void> {
  closing = true;
  const gone = streams.map(
    (s) =>
      new Promise<void>((resolve) => {
        if (s.done || !s.req) return resolve();
        const sock = s.req.socket;
        if (!sock || sock.destroyed) return resolve();
        sock.once('close', () => resolve());
        s.req.destroy();
      }),
  );
  await Promise.race([Promise.all(gone), new Promise((r) => setTimeout(r, 10_000))]);
  for (const s of streams) s.done = true;
}

process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'count') send(counts('count'));
  else if (m.cmd === 'mark') {
    for (const s of streams) s.mark = s.stock;
    send(counts('mark'));
  } else if (m.cmd === 'close') void closeAll().then(() => send(counts('closed')));
});
process.on('disconnect', () => process.exit(0));
process.once('SIGTERM', () => void closeAll().then(() => process.exit(0)));

void openAll().then(() => send(counts('opened')));
