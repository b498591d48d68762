import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Lease } from '../../application/shared/lease.port';
import { runScript } from './lua-scripts';
import { RedisConnections } from './redis-connections';
import { LEASE_PREFIX } from './sale-keys';
import { decodeFlag } from './script-replies';

@Injectable()
export class RedisLease extends Lease {
  private readonly holder = `${process.pid}:${randomUUID()}`;

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async acquire(name: string, ttlMs: number): Promise<boolean> {
    return decodeFlag(
      'lease-acquire',
      await runScript(this.redis.background, 'lease-acquire', [LEASE_PREFIX + name], [this.holder, ttlMs]),
    );
  }

  async release(name: string): Promise<void> {
    await runScript(this.redis.background, 'lease-release', [LEASE_PREFIX + name], [this.holder]);
  }
}
