import { LINE_CLOSE_REASONS } from '../../domain/line/line-place';
import { isOneOf } from '../../domain/shared/rejection';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { LedgerEvent, SaleEventFeed } from '../../application/events/sale-event-feed.port';
import { ItemId } from '../../domain/sale/item-id.value-object';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { ConnectionHeartbeat, SILENCE_MS } from './connection-heartbeat';
import { RedisConnections, closeConnection } from './redis-connections';
import { RedisClient } from './redis-topology';
import { saleEventsChannel } from './sale-keys';

type Listener = (event: LedgerEvent) => void;

/** After a reconnect, how long to leave ioredis to subscribe again before telling listeners to read afresh. */
const RESYNC_DELAY_MS = 200;

/**
 * One subscriber connection per process, sharded pub/sub (SSUBSCRIBE) on each watched sale's channel; the
 * channel shares the sale's hash tag, so on Redis Cluster it lives on the sale's shard. Messages are
 * written by scripts/lua/purchase.lua and sale-pause.lua.
 *
 * Pub/sub keeps nothing for a subscriber that was away: whenever the connection comes back, every listener is
 * told to read the state afresh (a `resync` event). On one server or Sentinel the connection is pinged every
 * second and one unheard for 3 s (dropped without a word by a NAT or load balancer) is reconnected, which
 * resyncs. A Cluster's sharded subscribers move between nodes inside ioredis, unseen here.
 */
@Injectable()
export class RedisSaleEventFeed extends SaleEventFeed implements OnApplicationShutdown {
  private readonly logger = new Logger('SaleEvents');
  private subscriber?: RedisClient;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Channels whose SSUBSCRIBE is under way: every subscriber meanwhile waits for it, and shares its failure. */
  private readonly subscribing = new Map<string, Promise<unknown>>();

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async subscribe(saleId: SaleId, listener: Listener): Promise<() => Promise<void>> {
    const channel = saleEventsChannel(saleId, this.redis.db);
    let set = this.listeners.get(channel);
    if (!set) {
      const created = new Set<Listener>();
      set = created;
      this.listeners.set(channel, created);
      const subscribed = this.connection().ssubscribe(channel);
      this.subscribing.set(channel, subscribed);
      // A failed subscribe (a Cluster slot without a subscriber mid-failover) leaves nothing behind: the next
      // subscriber asks again, instead of joining a channel nobody listens to on Redis.
      subscribed.then(
        () => this.subscribing.delete(channel),
        () => {
          this.subscribing.delete(channel);
          if (this.listeners.get(channel) === created) this.listeners.delete(channel);
        },
      );
    }
    set.add(listener);
    const pending = this.subscribing.get(channel);
    if (pending)
      await pending.catch((e: unknown) => {
        set.delete(listener);
        throw e;
      });
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        await this.subscriber?.sunsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat?.stop();
    if (this.subscriber) await closeConnection(this.subscriber);
  }

  private heartbeat?: ConnectionHeartbeat;

  private resync(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener({ kind: 'resync' });
  }

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    // On a Cluster, one subscriber per shard, which follows a sale's slot when it moves or fails over.
    const sub = this.redis.open('events', { maxRetriesPerRequest: null, shardedSubscribers: true });
    sub.on('smessage', (channel: string, message: string) => {
      const event = parse(message);
      if (!event) return this.logger.warn(`unreadable event on ${channel}: ${message.slice(0, 80)}`);
      for (const listener of this.listeners.get(channel) ?? []) listener(event);
    });
    let readyBefore = sub.status === 'ready';
    sub.on('ready', () => {
      if (readyBefore) setTimeout(() => this.resync(), RESYNC_DELAY_MS).unref();
      readyBefore = true;
    });
    if (this.redis.kind !== 'cluster') {
      this.heartbeat = new ConnectionHeartbeat(
        sub,
        () => sub.status === 'ready',
        () => {
          this.logger.warn(`sale event connection silent for ${SILENCE_MS} ms: reconnecting`);
          sub.disconnect(true);
        },
      );
    }
    this.subscriber = sub;
    return sub;
  }
}

function parse(message: string): LedgerEvent | null {
  if (message === 'paused' || message === 'resumed') return { kind: message };
  const [kind, sold, soldOut] = message.split('|');
  if (kind === 'line_closed') return isOneOf(LINE_CLOSE_REASONS, sold) ? { kind, reason: sold } : null;
  if (kind !== 'sold') return null;
  return { kind: 'sold', unitsSold: Number(sold), soldOut: soldOut ? soldOut.split(',').map((id) => Number(id) as ItemId) : [] };
}
