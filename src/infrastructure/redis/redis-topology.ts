import { readFileSync } from 'node:fs';
import { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';

/** A connection to whichever topology is configured: one server (or Sentinel's current primary), or a Cluster. */
export type RedisClient = Redis | Cluster;

export type TopologyKind = 'standalone' | 'sentinel' | 'cluster';

/** Options of one connection, whatever the topology. */
export interface ConnectionOptions {
  /** Fail commands at once while disconnected (requests), or queue them until Redis is back (background). */
  readonly enableOfflineQueue?: boolean;
  readonly commandTimeout?: number;
  readonly maxRetriesPerRequest?: number | null;
  /** Connect on first use instead of at once. */
  readonly lazyConnect?: boolean;
  /** Give up instead of reconnecting for ever (short-lived processes such as the CLI). */
  readonly noRetry?: boolean;
  /** Cluster only: a subscriber per shard for sharded pub/sub, following slots as they move. */
  readonly shardedSubscribers?: boolean;
  readonly connectionName?: string;
}

// Reconnect for ever, quickly at first: Redis coming back must heal the process without a restart.
const retry = (times: number) => Math.min(50 * times, 1000);

const SENTINEL_COMMAND_TIMEOUT_MS = 1_000;

const hostPorts = (list: string) =>
  list.split(',').map((entry) => {
    const trimmed = entry.trim();
    const colon = trimmed.lastIndexOf(':');
    return { host: trimmed.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(trimmed.slice(colon + 1)) };
  });

/**
 * REDIS_URL (one server), REDIS_SENTINELS + REDIS_SENTINEL_MASTER (Sentinel) or REDIS_CLUSTER_NODES (Cluster),
 * with passwords, ACL users and TLS on each. Everything that talks to Redis opens its connections here, so
 * every part of the service (hot path, loops, queue, live events, CLI, readiness) works on every topology.
 */
export class RedisTopology {
  readonly kind: TopologyKind;

  constructor(private readonly config: AppConfig) {
    this.kind = config.REDIS_CLUSTER_NODES ? 'cluster' : config.REDIS_SENTINELS ? 'sentinel' : 'standalone';
  }

  /** Where Redis is, for messages: no passwords. */
  describe(): string {
    const c = this.config;
    if (this.kind === 'cluster') return `Redis Cluster at ${c.REDIS_CLUSTER_NODES}`;
    if (this.kind === 'sentinel') return `Redis Sentinel "${c.REDIS_SENTINEL_MASTER}" at ${c.REDIS_SENTINELS}`;
    return c.REDIS_URL.replace(/\/\/[^@]*@/, '//');
  }

  /** The database index (only a standalone REDIS_URL may name one). */
  get db(): number {
    if (this.kind !== 'standalone') return 0;
    return Number(new URL(this.config.REDIS_URL).pathname.slice(1) || '0');
  }

  connect(options: ConnectionOptions = {}): RedisClient {
    const c = this.config;
    const tls = this.tlsOptions();
    const common: RedisOptions = {
      connectionName: options.connectionName,
      commandTimeout: options.commandTimeout,
      maxRetriesPerRequest: options.maxRetriesPerRequest,
      lazyConnect: options.lazyConnect,
      ...(this.kind !== 'standalone' ? { username: c.REDIS_USERNAME, password: c.REDIS_PASSWORD } : {}),
      ...(tls ? { tls } : {}),
    };
    const retryStrategy = options.noRetry ? () => null : retry;
    if (this.kind === 'cluster') {
      const clusterOptions: ClusterOptions = {
        redisOptions: common,
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        lazyConnect: options.lazyConnect,
        scaleReads: 'master',
        clusterRetryStrategy: options.noRetry ? () => null : retry,
        // A failover moves slots within a few seconds: ask again soon, and never wait long for the map.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        slotsRefreshTimeout: 2_000,
        slotsRefreshInterval: 5_000,
        shardedSubscribers: options.shardedSubscribers ?? false,
      };
      return new Cluster(hostPorts(c.REDIS_CLUSTER_NODES!), clusterOptions);
    }
    if (this.kind === 'sentinel') {
      const client = new Redis({
        ...common,
        sentinels: hostPorts(c.REDIS_SENTINELS!),
        name: c.REDIS_SENTINEL_MASTER!,
        role: 'master',
        sentinelPassword: c.REDIS_SENTINEL_PASSWORD,
        // TLS to the primary (enableTLSForSentinelMode with tls) and to the sentinels (sentinelTLS).
        enableTLSForSentinelMode: Boolean(tls),
        ...(tls ? { sentinelTLS: tls } : {}),
        // Learn of a failover from the sentinels at once, not only when the old primary stops answering. Not
        // for one-shot probes (noRetry): they need not follow a failover, and ioredis gives the detector's own
        // sentinel clients no error listener, so a probe closed during their TLS handshake (a wrong password)
        // printed "[ioredis] Unhandled error event" beside the CLI's one-line error.
        failoverDetector: !options.noRetry,
        // A demoted primary answers writes with READONLY: reconnect, and Sentinel names the new one.
        reconnectOnError: (e) => (/READONLY/.test(e.message) ? 2 : false),
        sentinelRetryStrategy: options.noRetry ? () => null : retry,
        // ioredis waits for a sentinel's answer for ever by default: one hung sentinel would stop every
        // reconnect at the first question. A sentinel answers from memory; a second is long.
        sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
        retryStrategy,
        enableOfflineQueue: options.enableOfflineQueue ?? true,
      });
      if (!options.noRetry) reviveAfterDetectorRace(client);
      return client;
    }
    return new Redis(c.REDIS_URL, {
      ...common,
      retryStrategy,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      reconnectOnError: (e) => (/READONLY/.test(e.message) ? 2 : false),
    });
  }

  private tlsOptions(): { ca?: Buffer } | undefined {
    const c = this.config;
    const wanted = this.kind === 'standalone' ? c.REDIS_URL.startsWith('rediss://') : c.REDIS_TLS;
    if (!wanted) return undefined;
    return c.REDIS_TLS_CA_FILE ? { ca: readFileSync(c.REDIS_TLS_CA_FILE) } : {};
  }
}

/**
 * ioredis ends a Sentinel client for good, and every later command fails "Connection is closed.", when its
 * failover detector fires (+switch-master) while the client is asking the sentinels for the primary: the
 * detector closes the connector under the question, and the client takes that for its own close (the stall of
 * redis/ioredis#1683; BullMQ revives its blocking client the same way). Such an end comes straight from
 * "connecting" and not from our quit() or disconnect(): connect again, on the usual back-off.
 */
function reviveAfterDetectorRace(client: Redis): void {
  let last = '';
  let attempts = 0;
  for (const status of ['connecting', 'connect', 'ready', 'close', 'reconnecting']) {
    client.on(status, () => {
      last = status;
      if (status === 'ready') attempts = 0;
    });
  }
  // Our own disconnect() while connecting also ends from "connecting", with this flag still set: stay ended.
  const closedByUs = () => (client as unknown as { manuallyClosing: boolean }).manuallyClosing;
  client.on('end', () => {
    if (last !== 'connecting' || closedByUs()) return;
    setTimeout(() => {
      if (client.status === 'end' && !closedByUs()) client.connect().catch(() => undefined);
    }, retry(++attempts)).unref();
  });
}

/** The primaries behind a client: itself for one server, each master node's connection for a Cluster. */
export function primariesOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/**
 * A command sent to a node directly (INFO, WAIT) on a connection that fails fast is refused outright unless
 * that connection is ready. A Cluster's node connections are made on first use by the Cluster's own routing,
 * so connect one that has not been; and wait, at most `waitMs`, for one still connecting: a process that
 * confirms a purchase as soon as it starts, or while its connection follows a failover, would otherwise be
 * refused at once ("Stream isn't writeable") where a moment's wait gets an answer.
 */
export async function readyNode(node: Redis, waitMs: number): Promise<Redis> {
  if (node.status === 'wait') node.connect().catch(() => undefined);
  if (node.status === 'ready' || node.status === 'end') return node;
  let settled = (): void => undefined;
  const ready = new Promise<void>((resolve) => {
    settled = resolve;
    // 'end': the connection gave up, and no wait will change that.
    node.once('ready', settled).once('end', settled);
  });
  await within(ready, waitMs, 'redis connection').catch(() => undefined);
  // Not left behind when the bound ran out: one per call would pile up while Redis is away.
  node.off('ready', settled).off('end', settled);
  return node;
}
