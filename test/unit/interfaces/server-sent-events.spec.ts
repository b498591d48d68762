import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_BUFFERED_BYTES, openEventStream } from '../../../src/interfaces/http/server-sent-events';

/** Just enough of Node's response for the stream: what it writes, and how it was let go. */
class FakeResponse extends EventEmitter {
  readonly frames: string[] = [];
  writableLength = 0;
  destroyed = false;
  ended = false;
  writeHead(): void {}
  write(chunk: string): boolean {
    this.frames.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function open() {
  const res = new FakeResponse();
  const raw = Object.assign(new EventEmitter(), { socket: { destroyed: false } });
  const request = { method: 'GET', raw } as unknown as FastifyRequest;
  const reply = { hijack: () => undefined, raw: res, getHeaders: () => ({}), server: {} } as unknown as FastifyReply;
  const stream = openEventStream(request, reply);
  let closed = 0;
  stream.onClose(() => closed++);
  return { res, stream, closed: () => closed };
}

describe('an event stream', () => {
  it('writes events while its reader keeps up', () => {
    const { res, stream, closed } = open();
    res.writableLength = MAX_BUFFERED_BYTES;
    stream.send('stock', { itemsSold: 1 });
    expect(res.frames.at(-1)).toBe('event: stock\ndata: {"itemsSold":1}\n\n');
    expect([res.destroyed, res.ended, closed()]).toEqual([false, false, 0]);
    stream.close();
  });

  it('cuts off a reader too far behind at once, rather than waiting for it to read what is queued', () => {
    const { res, stream, closed } = open();
    res.writableLength = MAX_BUFFERED_BYTES + 1;
    const before = res.frames.length;
    stream.send('stock', { itemsSold: 2 });
    expect(res.frames.length).toBe(before);
    // Destroyed, not ended: end() keeps the socket and its buffer until the client reads them.
    expect([res.destroyed, res.ended, closed()]).toEqual([true, false, 1]);
    stream.send('stock', { itemsSold: 3 });
    expect(res.frames.length).toBe(before);
  });

  it('ends, and tells once, when closed by the server', () => {
    const { res, stream, closed } = open();
    stream.close();
    stream.close();
    expect([res.destroyed, res.ended, closed()]).toEqual([false, true, 1]);
  });
});
