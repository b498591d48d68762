import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { within } from '../../application/shared/within';
import { PrismaService } from '../prisma/prisma.service';
import { BullmqOrderQueue } from '../queue/bullmq-order-queue';
import { RedisConnections } from '../redis/redis-connections';

const CHECK_TIMEOUT_MS = 1_000;

/** Readiness checks of what the service depends on, each bounded so a dead dependency cannot hang them. */
@Injectable()
export class DependencyHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly redis: RedisConnections,
    private readonly prisma: PrismaService,
    private readonly queue: BullmqOrderQueue,
  ) {}

  redisCheck(): Promise<HealthIndicatorResult> {
    return this.probe('redis', () => this.redis.command.ping());
  }

  postgresCheck(): Promise<HealthIndicatorResult> {
    return this.probe('postgres', () => this.prisma.$queryRaw`SELECT 1`);
  }

  queueCheck(workerRunning: boolean | null): Promise<HealthIndicatorResult> {
    return this.probe('queue', async () => {
      await this.queue.ping();
      if (workerRunning === false) throw new Error('the order worker is not running');
    });
  }

  private async probe(key: string, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    try {
      await within(check(), CHECK_TIMEOUT_MS, key);
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}
