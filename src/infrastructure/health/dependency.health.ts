import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { SystemHealth, SystemHealthReport } from '../../application/ports/system-health.port';
import { within } from '../../application/shared/within';
import { PrismaService } from '../prisma/prisma.service';
import { BullmqOrderQueue } from '../queue/bullmq-order-queue';
import { RedisConnections } from '../redis/redis-connections';

const CHECK_TIMEOUT_MS = 1_000;

/** Readiness checks of what the service depends on, each bounded so a dead dependency cannot hang them. */
@Injectable()
export class DependencyHealth extends SystemHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly redis: RedisConnections,
    private readonly prisma: PrismaService,
    private readonly queue: BullmqOrderQueue,
  ) {
    super();
  }

  async report(): Promise<SystemHealthReport> {
    const up = (p: Promise<unknown>) =>
      within(p, CHECK_TIMEOUT_MS, 'check').then(
        () => 'up' as const,
        () => 'down' as const,
      );
    const [redis, postgres, workers] = await Promise.all([
      up(this.redis.command.ping()),
      up(this.prisma.$queryRaw`SELECT 1`),
      within(this.queue.queue.getWorkersCount(), CHECK_TIMEOUT_MS, 'workers').catch(() => 0),
    ]);
    return { redis, postgres, worker: workers > 0 ? 'up' : 'down' };
  }

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
