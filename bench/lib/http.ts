import http from 'node:http';

/*
 * A small keep-alive HTTP client for the untimed steps (set-up, checks): the load itself is wrk's. Every
 * request goes to 127.0.0.1.
 */

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface CallOptions {
  readonly headers?: Record<string, string>;
  /** Sent as JSON. */
  readonly json?: unknown;
}

export function call(port: number, method: 'GET' | 'POST', pathAndQuery: string, options: CallOptions = {}): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathAndQuery, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The reply's JSON body, or an error naming the request when it is not `status`. */
export async function callJson<T>(
  port: number,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  status: number,
  options: CallOptions = {},
): Promise<T> {
  const r = await call(port, method, pathAndQuery, options);
  if (r.status !== status) throw new Error(`${method} ${pathAndQuery}: expected ${status}, got ${r.status} ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as T;
}

/** Runs task(0..count-1) with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(lanes);
}

export function closeHttpClient(): void {
  agent.destroy();
}
