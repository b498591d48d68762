import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, until } from './children';

export interface Backend {
  readonly name: string;
  /** 127.0.0.1 unless given (docker-compose's fleet names its services). */
  readonly host?: string;
  readonly port: number;
}

/**
 * HAProxy's configuration for the API instances: round robin, each instance health-checked on
 * /health/serving (every second, 2 s to answer; out after two failures, back after one success; PostgreSQL may
 * be down, as buyers are served without it). A request whose connection
 * fails, or whose instance dies before answering, is sent once more to another instance: checkout and
 * purchase are safe to repeat (the same item again changes nothing; the same code answers its stored result).
 */
export function haproxyConfig(
  port: number,
  backends: readonly Backend[],
  errorFile: string,
  statsPort?: number,
  bindHost = '127.0.0.1',
): string {
  return [
    'global',
    // Two descriptors per proxied connection: stay within the usual hard limit of open files.
    '  maxconn 8000',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    // Event streams stay open: without this a quiet stream would be cut after `timeout server`.
    '  timeout tunnel 1h',
    '  option http-keep-alive',
    // The client's address for per-IP limits (the instances run with TRUST_PROXY=127.0.0.1).
    '  option forwardfor',
    '  retries 2',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    // When no instance is ready, answer like the instances do: problem+json 503 with Retry-After.
    `  errorfile 503 ${errorFile}`,
    '',
    'frontend api',
    `  bind ${bindHost}:${port}`,
    '  default_backend instances',
    '',
    'backend instances',
    '  balance roundrobin',
    // Which instance answered: for operators, and for the tests that prove requests spread.
    '  http-response set-header x-served-by %s',
    '  option httpchk GET /health/serving',
    '  http-check expect status 200',
    // A check may take a while on a busy box: give it 2 s, but check every second. A dead instance is noticed
    // sooner anyway: its refused connections are retried on another instance at once.
    '  timeout check 2s',
    '  default-server inter 1s fall 2 rise 1',
    ...backends.map((b) => `  server ${b.name} ${b.host ?? '127.0.0.1'}:${b.port} check`),
    ...(statsPort ? ['', 'listen stats', `  bind ${bindHost}:${statsPort}`, '  stats enable', '  stats uri /', '  stats refresh 2s'] : []),
    '',
  ].join('\n');
}

/** HAProxy's own 503 (no instance ready), in the shape of every other error of the API. */
export const NO_INSTANCE_READY = [
  'HTTP/1.0 503 Service Unavailable',
  'Content-Type: application/problem+json; charset=utf-8',
  'Retry-After: 1',
  'Cache-Control: no-cache',
  'Connection: close',
  '',
  JSON.stringify({
    type: 'urn:flashsale:problem:service_unavailable',
    title: 'Service unavailable',
    status: 503,
    detail: 'No instance can serve this right now; retry shortly.',
    code: 'service_unavailable',
  }),
  '',
].join('\r\n');

/** HAProxy (Debian's package) in the foreground with a configuration of its own. */
export class Haproxy {
  private constructor(
    readonly port: number,
    private readonly child: Child,
    private readonly dir: string,
  ) {}

  static async start(port: number, backends: readonly Backend[], statsPort?: number): Promise<Haproxy> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flashsale-haproxy-'));
    const file = path.join(dir, 'haproxy.cfg');
    const errorFile = path.join(dir, '503.http');
    writeFileSync(errorFile, NO_INSTANCE_READY);
    writeFileSync(file, haproxyConfig(port, backends, errorFile, statsPort));
    const child = new Child('haproxy', 'haproxy', ['-f', file, '-db']);
    const proxy = new Haproxy(port, child, dir);
    await until(
      async () => {
        if (!child.running) throw new Error(`haproxy exited: ${child.output.stderr}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null);
        return res !== null;
      },
      10_000,
      'haproxy to listen',
    );
    return proxy;
  }

  get pid(): number {
    return this.child.process.pid ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.child.stop('SIGTERM', 3_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `node -r ts-node/register/transpile-only scripts/fleet/haproxy.ts`: writes docker-compose.yml's fleet
 * configuration (ops/haproxy/) from haproxyConfig, after a change to it (test/container/compose.spec.ts
 * fails until then).
 */
if (require.main === module) {
  const ops = path.resolve(__dirname, '..', '..', 'ops', 'haproxy');
  const header = [
    "# docker-compose.yml's fleet profile: HAProxy in front of api-1..3. Made by scripts/fleet/haproxy.ts's",
    '# haproxyConfig (test/container/compose.spec.ts checks they agree): edit that, not this.',
    '',
  ].join('\n');
  const apis = [1, 2, 3].map((i) => ({ name: `api${i}`, host: `api-${i}`, port: 3000 }));
  writeFileSync(path.join(ops, 'fleet.cfg'), header + haproxyConfig(3100, apis, '/usr/local/etc/haproxy/503.http', 3101, '0.0.0.0'));
  writeFileSync(path.join(ops, '503.http'), NO_INSTANCE_READY);
}
