import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { ReplicaNotConfirmedError } from '../../application/shared/replica-confirmation.errors';
import { ReplicaConfirmation, WrittenEvidence } from '../../application/shared/replica-confirmation.port';
import { within } from '../../application/shared/within';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { AppConfig } from '../config/app-config';
import { RedisConnections, closeConnection } from './redis-connections';
import { RedisClient, primariesOf, readyNode } from './redis-topology';
import { saleKeys } from './sale-keys';
import { streamFields } from './stream-fields';

/** How often a process that found no replicas (PURCHASE_DURABILITY unset) looks for them again. */
const RECHECK_MS = 5_000;

/**
 * What a confirming primary must hold: a sale's writes (WrittenEvidence), or, for writes outside any sale (a
 * queued job), that `key` exists there.
 */
type Evidence = WrittenEvidence | { readonly in: 'key' };

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  /** What the confirming primary must hold, and the key that holds it. */
  readonly written?: { readonly key: string; readonly evidence: Evidence };
}

/** One primary's group commit: at most one WAIT in flight; whoever arrives meanwhile waits for the next. */
interface NodeGroup {
  /** The primary's address (host:port), or "primary" on one server or Sentinel. */
  readonly id: string;
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
 * The WAITs run on a connection of their own, so they never hold up the hot path's scripts. That connection
 * follows a failover on its own, though, and can for a moment reach another primary than the one the purchase
 * ran on (an old primary cut off from the sentinels still takes writes for a while; two Cluster slot maps can
 * disagree): so the same pipeline reads the purchases' checkout records back, and a primary that does not hold
 * them confirms nothing.
 */
@Injectable()
export class RedisReplicaConfirmation extends ReplicaConfirmation implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Durability');
  private readonly connection: RedisClient;
  private readonly groups = new Map<string, NodeGroup>();
  private decided: 'none' | 'replica' | null;
  private deciding?: Promise<'none' | 'replica'>;
  private readonly timeoutMs: number;
  /** Replicas that must hold the writes (PURCHASE_REPLICA_ACKS). */
  private readonly acks: number;
  private readonly boundMs: number;
  private stopped = false;
  /** While "none" was decided from the topology: the timer that looks for replicas again. */
  private recheck?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    super();
    this.timeoutMs = config.PURCHASE_REPLICA_TIMEOUT_MS;
    this.acks = config.PURCHASE_REPLICA_ACKS;
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

  async confirmSale(saleId: SaleId, written?: WrittenEvidence): Promise<void> {
    if ((this.decided ?? (await this.decide())) === 'none') return;
    const keys = saleKeys(saleId);
    const key = written?.in === 'outbox' ? keys.outbox : keys.checkouts;
    return this.confirmKey(keys.fence, written && evidenceSize(written) > 0 ? { key, evidence: written } : undefined);
  }

  /** Confirms the writes made so far to the primary that holds `key` (any key: its slot picks the primary). */
  async confirmKey(key: string, written?: Waiter['written']): Promise<void> {
    if ((this.decided ?? (await this.decide())) === 'none') return;
    await this.slotMapRead();
    const node = this.primaryFor(key);
    const group = this.groups.get(node.id) ?? { id: node.id, fenceKey: key, waiting: [], inFlight: false };
    // The latest caller's key, which this node holds by the current slot map: a first key kept for ever would
    // fail every confirmation on this node (MOVED) once a reshard moved its slot elsewhere.
    group.fenceKey = key;
    this.groups.set(node.id, group);
    const done = new Promise<void>((resolve, reject) => group.waiting.push({ resolve, reject, written }));
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
    // Best effort: Redis may not answer yet, and the 503s would tell in the end.
    this.warnIfTooFewReplicas().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.recheck);
    await closeConnection(this.connection);
  }

  private flush(client: Redis, group: NodeGroup): void {
    const waiters = group.waiting;
    group.waiting = [];
    group.inFlight = true;
    const settle = (errorOf: (w: Waiter) => Error | undefined) => {
      for (const w of waiters) {
        let e: Error | undefined;
        try {
          e = errorOf(w);
        } catch (thrown) {
          // A reply this code cannot read confirms nothing, and must not leave the group stuck in flight.
          e = new ReplicaNotConfirmedError(`replica confirmation failed: ${(thrown as Error).message}`);
        }
        if (e) w.reject(e);
        else w.resolve();
      }
      group.inFlight = false;
      if (group.waiting.length === 0) return;
      // This group's node as the slot map has it now: a Cluster may have replaced the connection of the last flush.
      const next = this.nodeAt(group.id);
      if (!next) {
        for (const w of group.waiting.splice(0)) w.reject(new ReplicaNotConfirmedError(`no primary at ${group.id} any more`));
        return;
      }
      this.flush(next, group);
    };
    // One read per sale's key and kind, for every waiter of the round: a storm of purchases costs one HMGET.
    const reads = new Map<string, { key: string; in: Evidence['in']; codes: Set<string>; waiters: Waiter[] }>();
    for (const w of waiters) {
      if (!w.written) continue;
      const id = `${w.written.evidence.in}:${w.written.key}`;
      const read = reads.get(id) ?? { key: w.written.key, in: w.written.evidence.in, codes: new Set<string>(), waiters: [] };
      reads.set(id, read);
      read.waiters.push(w);
      if (w.written.evidence.in === 'checkouts') for (const p of w.written.evidence.purchases) read.codes.add(p.code);
    }
    const plan = [...reads.values()].flatMap((r) =>
      r.in === 'checkouts' ? [{ read: r, waiter: null as Waiter | null }] : r.waiters.map((waiter) => ({ read: r, waiter })),
    );
    readyNode(client, this.boundMs)
      .then((node) => {
        const pipeline = node.pipeline();
        for (const { read, waiter } of plan) {
          if (waiter?.written?.evidence.in === 'outbox') {
            const entries = waiter.written.evidence.entries;
            pipeline.xrange(read.key, entries[0]!.entryId, entries.at(-1)!.entryId);
          } else if (read.in === 'key') pipeline.exists(read.key);
          else pipeline.hmget(read.key, ...read.codes);
        }
        return pipeline.incr(group.fenceKey).call('WAIT', this.acks, this.timeoutMs).exec();
      })
      .then(
        (results) => {
          const [fence, wait] = results?.slice(-2) ?? [];
          const error = fence?.[0] ?? wait?.[0];
          if (error) return settle(() => new ReplicaNotConfirmedError(`replica confirmation failed: ${error.message}`));
          const acked = Number(wait?.[1]);
          if (!(acked >= this.acks)) {
            const what = this.acks === 1 ? 'no replica' : `${acked} of the ${this.acks} replicas asked for`;
            return settle(() => new ReplicaNotConfirmedError(`${what} confirmed within ${this.timeoutMs} ms`));
          }
          const held = new Map<Waiter, boolean>();
          try {
            plan.forEach(({ read, waiter }, i) => {
              const [readError, reply] = results![i]!;
              if (waiter) return held.set(waiter, !readError && holds(reply, waiter.written!.evidence));
              const records = readError ? new Map<string, string | null>() : recordsByCode([...read.codes], reply);
              for (const w of read.waiters) held.set(w, !readError && holdsPurchases(records, w.written!.evidence));
            });
          } catch {
            // A reply this code cannot read proves nothing: whatever it was to show is not confirmed (settle below).
          }
          settle((w) =>
            !w.written || held.get(w)
              ? undefined
              : new ReplicaNotConfirmedError('the primary that confirmed does not hold the purchase (a failover under way)'),
          );
        },
        (e: Error) => settle(() => new ReplicaNotConfirmedError(`replica confirmation failed: ${e.message}`)),
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
    let onReady = (): void => undefined;
    const ready = new Promise<void>((resolve) => c.once('ready', (onReady = resolve)));
    await within(ready, this.boundMs, 'cluster slot map').catch(() => undefined);
    // Not left behind when the bound ran out: one per confirmation would pile up while the Cluster is down.
    c.off('ready', onReady);
  }

  /** The connection to the primary at this group's address now, if the slot map still has one there. */
  private nodeAt(id: string): Redis | undefined {
    const c = this.connection;
    if (!(c instanceof Cluster)) return c;
    return c.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === id);
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

  /**
   * PURCHASE_DURABILITY unset: replica whenever the topology has replicas, decided when Redis is first reached.
   * "None" is looked at again every RECHECK_MS: replicas briefly away at the start (one restarting, or still
   * syncing) must not leave the process without replica durability for its whole life. Never the other way:
   * replicas that go away later make purchases wait for one (503), as with the setting given.
   */
  private decide(): Promise<'none' | 'replica'> {
    this.deciding ??= this.replicasExist()
      .then((yes) => {
        this.decided = yes ? 'replica' : 'none';
        this.logger.log(`purchase durability: ${this.decided} (${yes ? 'the topology has replicas' : 'no replicas found'})`);
        if (!yes && !this.recheck && !this.stopped) this.recheck = setInterval(() => this.lookForReplicas(), RECHECK_MS).unref();
        return this.decided;
      })
      .finally(() => (this.deciding = undefined));
    return this.deciding;
  }

  private lookForReplicas(): void {
    this.replicasExist().then(
      (yes) => {
        if (!yes || this.stopped) return;
        clearInterval(this.recheck);
        this.decided = 'replica';
        this.logger.log('purchase durability: replica (replicas found since the start)');
      },
      () => undefined,
    );
  }

  /** Whether the primaries have replicas in sync: Sentinel always watches some; otherwise ask each primary. */
  private async replicasExist(): Promise<boolean> {
    const c = this.redis.command;
    if (this.redis.kind === 'sentinel') return true;
    // Before a Cluster's map is known there is nothing to decide from: ask again later.
    if (c instanceof Cluster && c.status !== 'ready') throw new ReplicaNotConfirmedError('Redis Cluster is not ready yet');
    return (await this.onlineReplicaCounts()).some((n) => n > 0);
  }

  /** Each primary's replicas in sync. */
  private async onlineReplicaCounts(): Promise<number[]> {
    const primaries = primariesOf(this.redis.command);
    if (primaries.length === 0) throw new ReplicaNotConfirmedError('no Redis primary known yet');
    // Only replicas done with their first sync: WAIT counts no other, so one still copying would make every
    // purchase wait for nothing and answer 503 until it is done.
    return Promise.all(
      primaries.map(
        async (p) => (await (await readyNode(p, this.boundMs)).info('replication')).match(/^slave\d+:.*\bstate=online\b/gm)?.length ?? 0,
      ),
    );
  }

  /**
   * PURCHASE_REPLICA_ACKS above what the topology has makes every purchase wait its whole timeout and answer
   * 503: said at start, naming the setting, rather than left for the operator to guess from the 503s.
   */
  async warnIfTooFewReplicas(): Promise<void> {
    if (this.acks <= 1 || (this.decided ?? (await this.decide())) !== 'replica') return;
    const fewest = Math.min(...(await this.onlineReplicaCounts()));
    if (fewest < this.acks) {
      this.logger.warn(
        `PURCHASE_REPLICA_ACKS=${this.acks}, but a primary has ${fewest} replica(s) in sync: purchases answer 503 until ${this.acks} are`,
      );
    }
  }
}

function evidenceSize(e: WrittenEvidence): number {
  return e.in === 'outbox' ? e.entries.length : e.purchases.length;
}

function recordsByCode(codes: readonly string[], reply: unknown): Map<string, string | null> {
  const values = reply as (string | null)[];
  return new Map(codes.map((code, i) => [code, values[i] ?? null]));
}

/** Whether each purchase's checkout record, read back, shows it made: spent, with its order. */
function holdsPurchases(records: Map<string, string | null>, e: Evidence): boolean {
  if (e.in !== 'checkouts') return false;
  return e.purchases.every((p) => {
    const json = records.get(p.code);
    if (!json) return false;
    let record: { s?: string; r?: { o?: string } };
    try {
      record = JSON.parse(json) as typeof record;
    } catch {
      return false;
    }
    return record.s === 'spent' && (p.orderId === null || record.r?.o === p.orderId);
  });
}

/** Whether the reply read back for one waiter (an outbox span, or EXISTS) shows what it wrote. */
function holds(reply: unknown, e: Evidence): boolean {
  return e.in === 'key' ? reply === 1 : holdsEntries(reply, e);
}

/** Whether the outbox span read back holds each entry, with its order. */
function holdsEntries(reply: unknown, e: WrittenEvidence): boolean {
  if (e.in !== 'outbox') return false;
  const found = new Map((reply as [string, string[]][]).map(([id, flat]) => [id, streamFields(flat).o]));
  return e.entries.every((x) => found.get(x.entryId) === x.orderId);
}
