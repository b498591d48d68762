import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { ReplicaNotConfirmedError } from '../../application/shared/replica-confirmation.errors';
import { ReplicaConfirmation } from '../../application/shared/replica-confirmation.port';
import { within } from '../../application/shared/within';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { AppConfig } from '../config/app-config';
import { RedisConnections, closeConnection } from './redis-connections';
import { RedisClient, primariesOf, readyNode } from './redis-topology';
import { saleKeys } from './sale-keys';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** One primary's group commit: at most one WAIT in flight; whoever arrives meanwhile waits for the next. */
interface NodeGroup {
  /** A key on this primary, written just before each WAIT (see confirm()). */
  fenceKey: string;
  waiting: Waiter[];
  inFlight: boolean;
}

/**
 * Replica confirmation with Redis WAIT, group-committed: every confirmation asked for on a primary while a
 * WAIT is under way shares the next one, so a storm of purchases costs one WAIT per round trip to the
 * replicas, never one blocking call per request.
 *
 * WAIT covers the writes of the connection it runs on. The purchase ran on another connection, so each WAIT
 * here follows a small write of its own (INCR of a fence key on the same primary): once a replica holds the
 * fence, it holds everything the primary did before it, the purchase included, since replication is one
 * ordered stream. That also covers a purchase answered again from its stored result, which wrote nothing.
 * The WAITs run on a connection of their own, so they never hold up the hot path's scripts.
 */
@Injectable()
export class RedisReplicaConfirmation extends ReplicaConfirmation implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Durability');
  private readonly connection: RedisClient;
  private readonly groups = new Map<string, NodeGroup>();
  private decided: 'none' | 'replica' | null;
  private deciding?: Promise<'none' | 'replica'>;
  private readonly timeoutMs: number;
  private readonly boundMs: number;
  private stopped = false;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.timeoutMs = config.PURCHASE_REPLICA_TIMEOUT_MS;
    this.boundMs = config.PURCHASE_REPLICA_TIMEOUT_MS + config.REDIS_COMMAND_TIMEOUT_MS;
    this.decided = config.PURCHASE_DURABILITY ?? null;
    // Fail fast like the request connection; the command bound leaves WAIT its own timeout plus a margin.
    this.connection = redis.open('durability', {
      enableOfflineQueue: false,
      commandTimeout: this.timeoutMs + config.REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      lazyConnect: this.decided === 'none',
    });
  }

  get mode(): 'none' | 'replica' | null {
    return this.decided;
  }

  async confirmSale(saleId: SaleId): Promise<void> {
    if ((this.decided ?? (await this.decide())) === 'none') return;
    return this.confirmKey(saleKeys(saleId).fence);
  }

  /** Confirms the writes made so far to the primary that holds `key` (any key: its slot picks the primary). */
  async confirmKey(key: string): Promise<void> {
    if ((this.decided ?? (await this.decide())) === 'none') return;
    await this.slotMapRead();
    const node = this.primaryFor(key);
    const group = this.groups.get(node.id) ?? { fenceKey: key, waiting: [], inFlight: false };
    // The latest caller's key, which this node holds by the current slot map: a first key kept for ever would
    // fail every confirmation on this node (MOVED) once a reshard moved its slot elsewhere.
    group.fenceKey = key;
    this.groups.set(node.id, group);
    const done = new Promise<void>((resolve, reject) => group.waiting.push({ resolve, reject }));
    if (!group.inFlight) this.flush(node.client, group);
    // Whatever happens on the connection (a primary dying with a WAIT in flight, a reconnect that resends it),
    // nobody waits longer than this: a purchase is answered 503 within its bound, never left hanging.
    return within(done, this.boundMs, 'replica confirmation').catch((e: Error) => {
      throw e instanceof ReplicaNotConfirmedError ? e : new ReplicaNotConfirmedError(e.message);
    });
  }

  /** Decides as soon as Redis answers (readiness reports it), not at the first purchase; retries while Redis is away. */
  onApplicationBootstrap(): void {
    const attempt = () => {
      if (this.decided || this.stopped) return;
      this.decide().catch(() => setTimeout(attempt, 500).unref());
    };
    attempt();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await closeConnection(this.connection);
  }

  private flush(client: Redis, group: NodeGroup): void {
    const waiters = group.waiting;
    group.waiting = [];
    group.inFlight = true;
    const settle = (e?: Error) => {
      for (const w of waiters) e ? w.reject(e) : w.resolve();
      group.inFlight = false;
      if (group.waiting.length > 0) this.flush(client, group);
    };
    readyNode(client)
      .then((node) => node.pipeline().incr(group.fenceKey).call('WAIT', 1, this.timeoutMs).exec())
      .then(
        (results) => {
          const [fence, wait] = results ?? [];
          const error = fence?.[0] ?? wait?.[0];
          if (error) return settle(new ReplicaNotConfirmedError(`replica confirmation failed: ${error.message}`));
          if (Number(wait?.[1]) < 1) return settle(new ReplicaNotConfirmedError(`no replica confirmed within ${this.timeoutMs} ms`));
          settle();
        },
        (e: Error) => settle(new ReplicaNotConfirmedError(`replica confirmation failed: ${e.message}`)),
      );
  }

  /**
   * On a Cluster, waits (within the confirmation's bound) until this connection has read the slot map: a
   * process that confirms as soon as it starts (the CLI's orders:reconcile) asked before that and was told
   * there was no primary.
   */
  private async slotMapRead(): Promise<void> {
    const c = this.connection;
    if (!(c instanceof Cluster) || c.status === 'ready') return;
    const ready = new Promise<void>((resolve) => c.once('ready', () => resolve()));
    await within(ready, this.boundMs, 'cluster slot map').catch(() => undefined);
  }

  /** The connection to the primary that holds `key`, and a name for its group. */
  private primaryFor(key: string): { id: string; client: Redis } {
    const c = this.connection;
    if (!(c instanceof Cluster)) return { id: 'primary', client: c };
    const address = c.slots[calculateSlot(key)]?.[0];
    const node = address ? c.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address) : undefined;
    if (!node) throw new ReplicaNotConfirmedError(`no known primary for ${key} yet`);
    return { id: address!, client: node };
  }

  /** PURCHASE_DURABILITY unset: replica whenever the topology has replicas, decided when Redis is first reached. */
  private decide(): Promise<'none' | 'replica'> {
    this.deciding ??= this.replicasExist()
      .then((yes) => {
        this.decided = yes ? 'replica' : 'none';
        this.logger.log(`purchase durability: ${this.decided} (${yes ? 'the topology has replicas' : 'no replicas found'})`);
        return this.decided;
      })
      .finally(() => (this.deciding = undefined));
    return this.deciding;
  }

  /** Whether the primaries have replicas: Sentinel always watches some; otherwise ask each primary. */
  private async replicasExist(): Promise<boolean> {
    const c = this.redis.command;
    if (this.redis.kind === 'sentinel') return true;
    // Before a Cluster's map is known there is nothing to decide from: ask again later.
    if (c instanceof Cluster && c.status !== 'ready') throw new ReplicaNotConfirmedError('Redis Cluster is not ready yet');
    const primaries = primariesOf(c);
    if (primaries.length === 0) throw new ReplicaNotConfirmedError('no Redis primary known yet');
    const counts = await Promise.all(
      primaries.map(async (p) => Number(/connected_slaves:(\d+)/.exec(await (await readyNode(p)).info('replication'))?.[1] ?? 0)),
    );
    return counts.some((n) => n > 0);
  }
}
