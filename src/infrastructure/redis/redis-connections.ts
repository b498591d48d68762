import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';
import { defineScripts } from './lua-scripts';
import { ConnectionOptions, RedisClient, RedisTopology, TopologyKind, primariesOf } from './redis-topology';

/**
 * The Redis connections of the process, on whichever topology is configured (RedisTopology). `command`
 * serves requests: it never queues commands while Redis is unreachable and times out slow ones, so requests
 * fail fast with 503 instead of hanging. Background loops get `background`, which waits for Redis to come
 * back instead.
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly topology: RedisTopology;
  readonly command: RedisClient;
  readonly background: RedisClient;
  /** The database index of REDIS_URL (always 0 on Sentinel and Cluster). */
  readonly db: number;

  constructor(private readonly config: AppConfig) {
    this.topology = new RedisTopology(config);
    this.command = this.open('command', {
      enableOfflineQueue: false,
      commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
    });
    this.background = this.open('background', { maxRetriesPerRequest: null });
    this.db = this.topology.db;
    // On every (re)connection, not only at start: Redis may come up late, or come back as another server.
    this.command.on('ready', () => void this.warnAboutDurability());
  }

  get kind(): TopologyKind {
    return this.topology.kind;
  }

  /**
   * A request's Redis call, bounded by REDIS_COMMAND_TIMEOUT_MS whatever the connection does meanwhile (a
   * Cluster retrying a redirection during a failover, a reconnect that resends the command): the request is
   * answered 503 in time, never left hanging. The command may still run later, as after any timeout.
   */
  bounded<T>(call: Promise<T>): Promise<T> {
    return within(call, this.config.REDIS_COMMAND_TIMEOUT_MS, 'Redis').catch((e: Error) => {
      throw /no answer within/.test(e.message) ? new Error('Command timed out') : e;
    });
  }

  /** Gives Redis a few seconds at start; without it the process still starts (not ready) and heals later. */
  async onModuleInit(): Promise<void> {
    if (this.command.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      this.command.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Stock, limits and acknowledged purchases live in Redis until PostgreSQL has them: a Redis that evicts
   * keys can sell an item twice, and one without persistence loses purchases when it restarts.
   */
  private async warnAboutDurability(): Promise<void> {
    for (const primary of primariesOf(this.command)) {
      try {
        const [, policy] = (await primary.config('GET', 'maxmemory-policy')) as string[];
        const [, aof] = (await primary.config('GET', 'appendonly')) as string[];
        const where = `${primary.options.host}:${primary.options.port}`;
        if (policy && policy !== 'noeviction') {
          this.logger.warn(
            `Redis ${where} maxmemory-policy is "${policy}": Redis may evict sale keys and oversell. Set maxmemory-policy noeviction.`,
          );
        }
        if (aof === 'no') {
          this.logger.warn(
            `Redis ${where} appendonly is off: a Redis restart loses purchases not yet written to PostgreSQL. See README "Durability".`,
          );
        }
      } catch {
        // CONFIG is often disabled on managed Redis; their settings are the operator's to check.
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.command, this.background].map((c) => closeConnection(c)));
  }

  /**
   * Opens a further connection with the same settings; the caller closes it. BullMQ gets its own, since
   * it blocks on some of them.
   */
  open(name: string, extra: ConnectionOptions): RedisClient {
    const client = this.topology.connect({ connectionName: `flashsale:${name}:${process.pid}`, ...extra });
    let down = false;
    client.on('error', (e: Error) => {
      if (!down) this.logger.warn(`${name} connection: ${e.message}`);
      down = true;
    });
    client.on('ready', () => {
      if (down) this.logger.log(`${name} connection restored`);
      down = false;
    });
    defineScripts(client);
    return client;
  }
}

/** QUIT when connected (lets queued replies arrive), otherwise drop the socket rather than wait. */
export async function closeConnection(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await within(client.quit(), 2_000, 'redis quit').catch(() => client.disconnect());
}
