import http from 'node:http';

export interface SseEvent {
  readonly event: string;
  readonly data: any;
  readonly at: number;
}

/** A Server-Sent Events client for tests: collects events, lets a test wait for one. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  private request?: http.ClientRequest;
  private waiters: (() => void)[] = [];

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      client.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data !== undefined) client.events.push({ event, data: JSON.parse(data), at: Date.now() });
          }
          client.wake();
        });
        res.on('end', () => {
          client.ended = true;
          client.wake();
        });
        resolve(client);
      });
      client.request.on('error', reject);
    });
  }

  of(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Resolves once `test` holds (checked on each event), or rejects after `timeoutMs`. */
  async until(test: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline)
        throw new Error(`SSE: condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  close(): void {
    this.request?.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}
