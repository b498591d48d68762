import { Injectable } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { SaleId } from '../../domain/sale/sale-id.value-object';
import { AppConfig } from '../config/app-config';
import { RedisConnections } from './redis-connections';
import { RedisReplicaConfirmation } from './redis-replica-confirmation';
import { readyNode } from './redis-topology';
import { saleKeys } from './sale-keys';

export interface ReplicaState {
  readonly address: string;
  readonly state: string;
  /** Seconds since the replica last acknowledged (Redis's own "lag"). */
  readonly lagSeconds: number;
  /** Bytes of the replication stream the replica has not acknowledged yet. */
  readonly bytesBehind: number;
}

export interface ReplicationReport {
  readonly topology: 'standalone' | 'sentinel' | 'cluster';
  /** The primary that holds the open sale's keys (any primary when no sale is open). */
  readonly primary: string;
  readonly replicas: ReplicaState[];
  /** Replicas online and at most a second behind. */
  readonly replicasInSync: number;
  readonly purchaseDurability: 'none' | 'replica' | null;
}

/** Where the open sale lives and how its replicas are doing, for readiness and operators. */
@Injectable()
export class RedisReplicationReport {
  constructor(
    private readonly redis: RedisConnections,
    private readonly replicas: RedisReplicaConfirmation,
    private readonly config: AppConfig,
  ) {}

  async forSale(saleId: SaleId | null): Promise<ReplicationReport> {
    const node = await readyNode(this.primaryOf(saleId), this.config.REDIS_COMMAND_TIMEOUT_MS);
    const info = await node.info('replication');
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const offset = Number(field('master_repl_offset') ?? 0);
    const replicas = [...info.matchAll(/^slave\d+:(.*)$/gm)].map(([, raw]) => {
      const f = Object.fromEntries(raw!.split(',').map((kv) => kv.split('=') as [string, string]));
      return {
        address: `${f.ip}:${f.port}`,
        state: f.state ?? 'unknown',
        lagSeconds: Number(f.lag ?? 0),
        bytesBehind: Math.max(0, offset - Number(f.offset ?? 0)),
      };
    });
    return {
      topology: this.redis.kind,
      primary: addressOf(node),
      replicas,
      replicasInSync: replicas.filter((r) => r.state === 'online' && r.lagSeconds <= 1).length,
      purchaseDurability: this.replicas.mode,
    };
  }

  private primaryOf(saleId: SaleId | null): Redis {
    const c = this.redis.command;
    if (!(c instanceof Cluster)) return c;
    const masters = c.nodes('master');
    const address = saleId === null ? undefined : c.slots[calculateSlot(saleKeys(saleId).meta)]?.[0];
    const node = masters.find((n) => addressOf(n) === address) ?? masters[0];
    if (!node) throw new Error('Redis Cluster: no primary known yet');
    return node;
  }
}

function addressOf(node: Redis): string {
  // Behind Sentinel, options name the sentinels; the socket names the primary actually reached.
  const stream = (node as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  return stream?.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort}` : `${node.options.host}:${node.options.port}`;
}
