import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';
import { defineScripts } from './lua-scripts';

/**
 * The Redis connections of the process. `command` serves requests: it never queues commands while Redis is
 * unreachable and times out slow ones, so requests fail fast with 503 instead of hanging. Background loops
 * get `background`, which waits for Redis to come back instead.
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly command: Redis;
  readonly background: Redis;
  /** The database index of REDIS_URL (always 0 on Redis Cluster). */
  readonly db: number;

  constructor(private readonly config: AppConfig) {
    this.command = this.open('command', {
      enableOfflineQueue: false,
      commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
    });
    this.background = this.open('background', { maxRetriesPerRequest: null });
    this.db = this.command.options.db ?? 0;
    // On every (re)connection, not only at start: Redis may come up late, or come back as another server.
    this.command.on('ready', () => void this.warnAboutDurability());
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
    try {
      const [, policy] = (await this.command.config('GET', 'maxmemory-policy')) as string[];
      const [, aof] = (await this.command.config('GET', 'appendonly')) as string[];
      if (policy && policy !== 'noeviction') {
        this.logger.warn(`Redis maxmemory-policy is "${policy}": Redis may evict sale keys and oversell. Set maxmemory-policy noeviction.`);
      }
      if (aof === 'no') {
        this.logger.warn(
          'Redis appendonly is off: a Redis restart loses purchases not yet written to PostgreSQL. See README "Durability".',
        );
      }
    } catch {
      // CONFIG is often disabled on managed Redis; their settings are the operator's to check.
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.command, this.background].map((c) => closeConnection(c)));
  }

  /**
   * Opens a further connection with the same settings; the caller closes it. BullMQ gets its own, since
   * it blocks on some of them.
   */
  open(name: string, extra: RedisOptions): Redis {
    const client = new Redis(this.config.REDIS_URL, {
      // Reconnect for ever, quickly at first: Redis coming back must heal the process without a restart.
      retryStrategy: (times) => Math.min(50 * times, 1000),
      connectionName: `flashsale:${name}:${process.pid}`,
      ...extra,
    });
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
export async function closeConnection(client: Redis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await within(client.quit(), 2_000, 'redis quit').catch(() => client.disconnect());
}
