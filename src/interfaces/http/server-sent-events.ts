import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';

const HEARTBEAT_MS = 15_000;
/**
 * A client this far behind (bytes queued in its socket) is too slow to follow: it is dropped. Pages get about
 * a kilobyte a second at most, so this is a minute or more of backlog; 2,000 stalled pages hold 128 MiB at
 * most (1 MiB each before 2026-12-06).
 */
export const MAX_BUFFERED_BYTES = 64 * 1024;

/** One Server-Sent Events message. */
export function eventFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Sends an already encoded message (see eventFrame). */
  sendFrame(frame: string): void;
  close(): void;
  /** Called once when the stream ends, whoever ended it (at once if it has ended already). */
  onClose(fn: () => void): void;
}

/** The streams open on each server, so that closing the server can end them (they would hold it open). */
const openStreams = new WeakMap<object, Set<EventStream>>();

export function endEventStreams(server: object): void {
  for (const stream of openStreams.get(server) ?? []) stream.close();
}

/**
 * Takes over a Fastify reply as a Server-Sent Events stream: headers, a retry hint, heartbeats, and
 * clean-up when either side ends it. The retry hint is spread over [retryMs, 2 × retryMs): when an instance
 * goes away, its thousands of pages must not all come back to the next one in the same instant.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, retryMs = 2_000): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    // What the hooks and the guard set on the reply (X-Request-Id, RateLimit-Policy, RateLimit): a hijacked
    // reply would not send them.
    ...definedHeaders(reply.getHeaders()),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  // HEAD: the headers alone, and done. Node drops a HEAD response's body, so a stream kept open would send
  // nothing and hold the connection (and the watch behind it) until the client gave up.
  const head = request.method === 'HEAD';
  if (!head) res.write(`retry: ${retryMs + Math.floor(Math.random() * retryMs)}\n\n`);
  const closers: (() => void)[] = [];
  let closed = false;
  const end = (destroy = false) => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers) fn();
    // A reader too slow to follow is cut off: end() would wait for it to read what is queued, holding the
    // socket and its buffer for as long as it keeps the connection alive without reading.
    if (destroy) res.destroy();
    else res.end();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  request.raw.on('close', () => end());
  res.on('close', () => end());
  const streams = openStreams.get(reply.server) ?? new Set<EventStream>();
  openStreams.set(reply.server, streams);
  const stream: EventStream = {
    send(event, data) {
      this.sendFrame(eventFrame(event, data));
    },
    sendFrame(frame) {
      if (closed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) return end(true);
      res.write(frame);
    },
    close: () => end(),
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
  streams.add(stream);
  closers.push(() => streams.delete(stream));
  // The client may have hung up while the request waited (for the sale's live state, say): its 'close' came
  // before anyone listened, so the stream ends now, and whatever is later tied to it is let go at once.
  // (The request's socket, not the response's: a response queued behind another on one connection has none yet.)
  const socket = request.raw.socket as Socket | null;
  if (head || res.destroyed || !socket || socket.destroyed) end();
  return stream;
}

function definedHeaders(headers: Record<string, string | number | string[] | undefined>): Record<string, string | number | string[]> {
  const defined: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) defined[name] = value;
  return defined;
}
