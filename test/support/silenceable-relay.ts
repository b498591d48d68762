import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP relay to Redis that can fall silent: it keeps connections open and passes nothing either way, as a
 * NAT or load balancer that forgot a connection does (no reset, no close). `silent` silences every
 * connection, new ones included; `silenceExisting()` only those open now, so a client that reconnects gets
 * through again.
 */
export class SilenceableRelay {
  silent = false;
  private readonly pairs: { client: Socket; upstream: Socket; silenced: boolean }[] = [];
  private readonly server: Server;

  private constructor(target: URL) {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      const pair = { client, upstream, silenced: false };
      this.pairs.push(pair);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        from.on('data', (chunk) => this.silent || pair.silenced || to.write(chunk));
        from.on('error', () => undefined);
        from.on('close', () => to.destroy());
      }
    });
  }

  static async start(target: URL): Promise<SilenceableRelay> {
    const relay = new SilenceableRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The Redis URL through this relay (same db, same credentials). */
  urlFor(target: URL): string {
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  silenceExisting(): void {
    for (const pair of this.pairs) pair.silenced = true;
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }
}
