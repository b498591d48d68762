import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Child, GiveUp, freePort, sleep, until } from './children';

/*
 * Redis fleets on loopback ports, from Debian's redis-server and redis-cli: a Redis Cluster (primaries with
 * replicas) and a Sentinel set (a primary, replicas and three sentinels). Every node runs as the shipped
 * configuration asks (README "Durability"): AOF with fsync every second, no eviction, and a primary refuses
 * writes while no replica is connected (min-replicas-to-write). Each node can be killed, frozen, thawed and
 * restarted on its port and data, for the fault tests.
 */

const run = promisify(execFile);

/** The settings every node of a fleet runs with. */
export const DURABLE_NODE_ARGS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--save',
  '',
  '--maxmemory-policy',
  'noeviction',
  // With replicas, a primary cut off from all of them stops taking writes after 10 s instead of piling up
  // writes a failover would lose.
  '--min-replicas-to-write',
  '1',
  '--min-replicas-max-lag',
  '10',
  // A new or returning replica is synced at once, not after the default 5 s wait for others to join it.
  '--repl-diskless-sync-delay',
  '0',
];

/** TLS files of a fleet: a CA and a certificate for 127.0.0.1 it signed (see makeCertificates). */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** How a fleet's nodes are protected: an ACL user and password, and TLS. Sentinels themselves take neither. */
export interface NodeSecurity {
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TlsFiles;
}

export class RedisNode {
  private child!: Child;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly configFile?: string,
    readonly security: NodeSecurity = {},
  ) {}

  /** `configFile` (a sentinel's, which Sentinel rewrites) goes first, as redis-server wants it. */
  static async start(port: number, dir: string, args: readonly string[], configFile?: string, security?: NodeSecurity): Promise<RedisNode> {
    mkdirSync(dir, { recursive: true });
    const node = new RedisNode(port, dir, args, configFile, security);
    await node.launch();
    return node;
  }

  /**
   * On a free port, trying another if someone took the port between choosing it and binding it (other test
   * runs share the machine). `dirFor` names the node's directory after its port.
   */
  static async startOnFreePort(
    dirFor: (port: number) => string,
    args: readonly string[],
    configFile?: (port: number, dir: string) => string,
    security?: NodeSecurity,
  ): Promise<RedisNode> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const dir = dirFor(port);
      mkdirSync(dir, { recursive: true });
      try {
        return await RedisNode.start(port, dir, args, configFile?.(port, dir), security);
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.process.pid;
  }

  get running(): boolean {
    return this.child.running;
  }

  /** The last lines of this node's own log, for the message of a test that failed around it. */
  logTail(lines = 40): string {
    try {
      return readFileSync(path.join(this.dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** A client of the test's own (not the app's), failing fast while the node is away. */
  client(): Redis {
    const c = new Redis(this.port, '127.0.0.1', { ...this.clientOptions(), maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    c.on('error', () => undefined);
    return c;
  }

  async ping(timeoutMs = 500): Promise<boolean> {
    const c = new Redis(this.port, '127.0.0.1', {
      ...this.clientOptions(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: timeoutMs,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }

  /** What a client needs to reach this node: its user, password and the CA of its certificate. */
  clientOptions(): { username?: string; password?: string; tls?: { ca: Buffer } } {
    const { username, password, tls } = this.security;
    return { username, password, ...(tls ? { tls: { ca: readFileSync(tls.ca) } } : {}) };
  }

  kill(): Promise<unknown> {
    this.child.signal('SIGKILL');
    return this.child.exited;
  }

  freeze(): void {
    this.child.signal('SIGSTOP');
  }

  thaw(): void {
    this.child.signal('SIGCONT');
  }

  /** Starts the node again on its port and data (after kill()). */
  async restart(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    this.thaw();
    await this.child.stop('SIGTERM', 3_000);
  }

  private async launch(): Promise<void> {
    this.child = new Child(`redis:${this.port}`, 'redis-server', [
      ...(this.configFile ? [this.configFile] : []),
      ...serverSecurityArgs(this.port, this.security, this.args.includes('--sentinel')),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--protected-mode',
      'no',
      '--logfile',
      path.join(this.dir, 'redis.log'),
      ...this.args,
    ]);
    const child = this.child;
    await until(
      async () => {
        if (!child.running) throw new GiveUp(`redis-server on ${this.port} exited: ${child.output.stdout.slice(-300)}`);
        return this.ping();
      },
      10_000,
      `redis-server on ${this.port}`,
    ).catch(async (e: Error) => {
      child.signal('SIGKILL');
      throw e;
    });
  }
}

/** redis-server's port, user, password and TLS options for a node. */
function serverSecurityArgs(port: number, security: NodeSecurity, sentinel: boolean): string[] {
  const { username, password, tls } = security;
  const ports = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca]
    : ['--port', String(port)];
  const tlsPeers = tls ? ['--tls-auth-clients', 'no', '--tls-replication', 'yes', ...(sentinel ? [] : ['--tls-cluster', 'yes'])] : [];
  if (sentinel || !password) return [...ports, ...tlsPeers];
  const users = username ? ['--user', username, 'on', `>${password}`, '~*', '&*', '+@all', '--masteruser', username] : [];
  return [...ports, ...tlsPeers, '--requirepass', password, '--masterauth', password, ...users];
}

/** redis-cli's options for a node's user, password and TLS. */
function cliSecurityArgs(security: NodeSecurity): string[] {
  const { username, password, tls } = security;
  return [
    ...(username ? ['--user', username] : []),
    ...(password ? ['--pass', password] : []),
    ...(tls ? ['--tls', '--cacert', tls.ca] : []),
  ];
}

/**
 * A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`, for fleets with TLS (the
 * app gets the CA as REDIS_TLS_CA_FILE).
 */
export async function makeCertificates(dir: string): Promise<TlsFiles> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=flashsale-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('redis.key'), '-out', f('redis.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await ssl(
    'x509',
    '-req',
    '-in',
    f('redis.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
    '-out',
    f('redis.crt'),
  );
  return { ca: f('ca.crt'), cert: f('redis.crt'), key: f('redis.key') };
}

/** Where a fleet keeps its nodes' files: a directory of its own, removed by stop(). */
function fleetDir(name: string, under?: string): string {
  if (under) {
    mkdirSync(under, { recursive: true });
    return mkdtempSync(path.join(under, `${name}-`));
  }
  return mkdtempSync(path.join(os.tmpdir(), `flashsale-${name}-`));
}

export interface ClusterOptions {
  readonly primaries?: number;
  readonly replicasPerPrimary?: number;
  /** How long a node may be unreachable before the cluster fails it over. */
  readonly nodeTimeoutMs?: number;
  /** Parent directory for the nodes' files (default: the system's temporary directory). */
  readonly dataDir?: string;
  /** Ports to use (default: free ones). */
  readonly ports?: readonly number[];
  /** An ACL user and password, and TLS, on every node. */
  readonly security?: NodeSecurity;
}

/** A Redis Cluster of primaries with replicas, created with `redis-cli --cluster create`. */
export class RedisClusterFleet {
  private constructor(
    readonly nodes: RedisNode[],
    readonly dir: string,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<RedisClusterFleet> {
    const primaries = options.primaries ?? 3;
    const replicas = options.replicasPerPrimary ?? 1;
    const count = primaries * (1 + replicas);
    const dir = fleetDir('cluster', options.dataDir);
    const nodes = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const args = [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 2_000),
          // Fail a shard over even when its replica lagged a little: the app never confirms what a replica
          // does not hold (PURCHASE_DURABILITY=replica), so a lagging replica loses nothing confirmed.
          '--cluster-replica-validity-factor',
          '0',
          ...DURABLE_NODE_ARGS,
        ];
        const port = options.ports?.[i];
        return port === undefined
          ? RedisNode.startOnFreePort((p) => path.join(dir, String(p)), args, undefined, options.security)
          : RedisNode.start(port, path.join(dir, String(port)), args, undefined, options.security);
      }),
    );
    const fleet = new RedisClusterFleet(nodes, dir);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => n.address),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
        ...cliSecurityArgs(options.security ?? {}),
      ],
      {
        timeout: 30_000,
      },
    );
    await fleet.waitHealthy(primaries, primaries * replicas);
    return fleet;
  }

  /** REDIS_CLUSTER_NODES for the app. */
  get nodesVariable(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** Waits until every live node sees the cluster ok, with `primaries` primaries and `replicas` linked replicas. */
  async waitHealthy(primaries: number, replicas: number, timeoutMs = 30_000): Promise<void> {
    await until(
      async () => {
        const live = this.nodes.filter((n) => n.running);
        for (const node of live) {
          const c = node.client();
          try {
            const info = await c.cluster('INFO');
            if (!/cluster_state:ok/.test(String(info))) return false;
            const roles = await this.roles(c);
            if (roles.primaries !== primaries || roles.linkedReplicas !== replicas) return false;
            // A primary takes writes only once a replica has acknowledged (min-replicas-to-write).
            const replication = await c.info('replication');
            const good = Number(/min_slaves_good_slaves:(\d+)/.exec(replication)?.[1] ?? 0);
            if (/role:master/.test(replication) && replicas > 0 && good < 1) return false;
          } finally {
            c.disconnect();
          }
        }
        return true;
      },
      timeoutMs,
      `the cluster to be ok with ${primaries} primaries and ${replicas} linked replicas`,
      200,
    );
  }

  /** The node serving `slot` as primary, according to a live node. */
  async primaryForSlot(slot: number): Promise<RedisNode> {
    for (const node of this.nodes.filter((n) => n.running)) {
      const c = node.client();
      try {
        const slots = (await c.cluster('SLOTS')) as unknown as [number, number, [string, number, string]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        const port = range?.[2][1];
        const owner = this.nodes.find((n) => n.port === port);
        if (owner) return owner;
      } catch {
        // ask the next node
      } finally {
        c.disconnect();
      }
    }
    throw new Error(`no live node knows who serves slot ${slot}`);
  }

  /** The replicas of a primary, according to a live node. */
  async replicasOf(primary: RedisNode): Promise<RedisNode[]> {
    const c = primary.client();
    try {
      const info = await c.info('replication');
      const ports = [...info.matchAll(/^slave\d+:ip=[^,]+,port=(\d+)/gm)].map((m) => Number(m[1]));
      return this.nodes.filter((n) => ports.includes(n.port));
    } finally {
      c.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async roles(c: Redis): Promise<{ primaries: number; linkedReplicas: number }> {
    const lines = String(await c.cluster('NODES'))
      .trim()
      .split('\n');
    let primaries = 0;
    let linkedReplicas = 0;
    for (const line of lines) {
      const [, , flags, , , , , link, ...slots] = line.split(' ');
      if (flags!.includes('fail')) continue;
      if (flags!.includes('master') && slots.length > 0) primaries++;
      if (flags!.includes('slave') && link === 'connected') linkedReplicas++;
    }
    return { primaries, linkedReplicas };
  }
}

export interface SentinelOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  readonly downAfterMs?: number;
  readonly dataDir?: string;
  readonly masterName?: string;
  /** Ports to use, in order: the primary, the replicas, the sentinels (default: free ones). */
  readonly ports?: readonly number[];
  /** An ACL user and password on the data nodes (the sentinels log in with them), and TLS everywhere. */
  readonly security?: NodeSecurity;
}

/** One primary, its replicas and the sentinels that watch them and fail them over. */
export class RedisSentinelFleet {
  private constructor(
    readonly dataNodes: RedisNode[],
    readonly sentinels: RedisNode[],
    readonly masterName: string,
    readonly dir: string,
  ) {}

  static async start(options: SentinelOptions = {}): Promise<RedisSentinelFleet> {
    const dir = fleetDir('sentinel', options.dataDir);
    const masterName = options.masterName ?? 'flashsale';
    const security = options.security ?? {};
    const replicaCount = options.replicas ?? 2;
    // A node on the port asked for, or on a free one.
    const startNode = (
      i: number,
      dirFor: (port: number) => string,
      args: readonly string[],
      conf?: (port: number, dir: string) => string,
      sec?: NodeSecurity,
    ) => {
      const port = options.ports?.[i];
      if (port === undefined) return RedisNode.startOnFreePort(dirFor, args, conf, sec);
      const nodeDir = dirFor(port);
      mkdirSync(nodeDir, { recursive: true });
      return RedisNode.start(port, nodeDir, args, conf?.(port, nodeDir), sec);
    };
    const primary = await startNode(0, (p) => path.join(dir, String(p)), DURABLE_NODE_ARGS, undefined, security);
    const primaryPort = primary.port;
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, async (_, i) => {
        return startNode(
          1 + i,
          (p) => path.join(dir, String(p)),
          [...DURABLE_NODE_ARGS, '--replicaof', '127.0.0.1', String(primaryPort)],
          undefined,
          security,
        );
      }),
    );
    await until(
      async () => {
        const c = primary.client();
        try {
          // Writes are taken only once the replicas have acknowledged (min-replicas-to-write).
          return Number(/min_slaves_good_slaves:(\d+)/.exec(await c.info('replication'))?.[1]) === replicas.length;
        } finally {
          c.disconnect();
        }
      },
      15_000,
      'the replicas to connect',
    );
    const sentinels = await Promise.all(
      Array.from({ length: options.sentinels ?? 3 }, (_, i) =>
        startNode(
          1 + replicaCount + i,
          (port) => path.join(dir, `sentinel-${port}`),
          ['--sentinel'],
          (_port, sdir) => {
            const conf = path.join(sdir, 'sentinel.conf');
            writeFileSync(
              conf,
              [
                `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
                `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
                // A failed election is tried again after twice this: keep it short, a fleet on one box elects in ms.
                `sentinel failover-timeout ${masterName} 3000`,
                `sentinel parallel-syncs ${masterName} 1`,
                ...(security.username ? [`sentinel auth-user ${masterName} ${security.username}`] : []),
                ...(security.password ? [`sentinel auth-pass ${masterName} ${security.password}`] : []),
                '',
              ].join('\n'),
            );
            return conf;
          },
          // Sentinels take no password themselves, but speak TLS like the rest.
          { tls: security.tls },
        ),
      ),
    );
    return new RedisSentinelFleet([primary, ...replicas], sentinels, masterName, dir);
  }

  get sentinelsVariable(): string {
    return this.sentinels.map((n) => n.address).join(',');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.dataNodes].map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The node the sentinels call the primary now. */
  async primary(): Promise<RedisNode> {
    for (const s of this.sentinels.filter((n) => n.running)) {
      const c = s.client();
      try {
        const [, port] = (await c.call('SENTINEL', 'get-master-addr-by-name', this.masterName)) as [string, string];
        const node = this.dataNodes.find((n) => n.port === Number(port));
        if (node) return node;
      } catch {
        // ask the next sentinel
      } finally {
        c.disconnect();
      }
    }
    throw new Error('no sentinel names a primary');
  }
}

export { sleep };
