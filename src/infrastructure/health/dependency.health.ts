import { Injectable } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DependencyCheck, SystemHealth, SystemHealthReport } from '../../application/observability/system-health.port';
import { within } from '../../application/shared/within';
import { AppConfig } from '../config/app-config';
import { PrismaService } from '../prisma/prisma.service';
import { BullmqOrderQueue } from '../order-pipeline/bullmq-order-queue';
import { RedisConnections } from '../redis/redis-connections';
import { RedisReplicationReport } from '../redis/redis-replication-report';
import { SaleId } from '../../domain/sale/sale-id.value-object';

const CHECK_TIMEOUT_MS = 1_000;

/**
 * Readiness checks of what the service depends on, each bounded so a dead dependency cannot hang them. The
 * Redis-backed ones get the same bound as requests (REDIS_COMMAND_TIMEOUT_MS): if Redis is slower than that,
 * requests are failing anyway, and the probe says so as fast as they do.
 */
@Injectable()
export class DependencyHealth extends SystemHealth {
  constructor(
    private readonly checks: HealthCheckService,
    private readonly health: HealthIndicatorService,
    private readonly redis: RedisConnections,
    private readonly prisma: PrismaService,
    private readonly queue: BullmqOrderQueue,
    private readonly replication: RedisReplicationReport,
    config: AppConfig,
  ) {
    super();
    this.redisBoundMs = Math.min(CHECK_TIMEOUT_MS, config.REDIS_COMMAND_TIMEOUT_MS);
  }

  private readonly redisBoundMs: number;

  async report(): Promise<SystemHealthReport> {
    const up = (p: Promise<unknown>, boundMs: number) =>
      within(p, boundMs, 'check').then(
        () => 'up' as const,
        () => 'down' as const,
      );
    const [redis, postgres, workers] = await Promise.all([
      up(this.redis.command.ping(), this.redisBoundMs),
      up(this.prisma.$queryRaw`SELECT 1`, CHECK_TIMEOUT_MS),
      within(this.queue.queue.getWorkersCount(), this.redisBoundMs, 'workers').catch(() => 0),
    ]);
    return { redis, postgres, worker: workers > 0 ? 'up' : 'down' };
  }

  async readiness(workerRunning: boolean | null, openSaleId: SaleId | null): Promise<Record<string, DependencyCheck>> {
    // Terminus runs the indicators and throws (with the same details) when one is down.
    const result = await this.checks
      .check([() => this.redisCheck(openSaleId), () => this.postgresCheck(), () => this.queueCheck(workerRunning)])
      .catch((e: { getResponse?: () => unknown }) => e.getResponse?.() as HealthCheckResult | undefined);
    if (!result?.details) return { health: { status: 'down', message: 'the health check failed' } };
    return result.details as Record<string, DependencyCheck>;
  }

  /** Up when Redis answers; then also where the open sale lives and how its replicas are (not a condition). */
  private async redisCheck(openSaleId: SaleId | null): Promise<HealthIndicatorResult> {
    const check = await this.probe('redis', () => this.redis.command.ping(), this.redisBoundMs);
    if (check.redis?.status !== 'up') return check;
    const replication = await within(this.replication.forSale(openSaleId), this.redisBoundMs, 'replication').catch(() => null);
    return replication ? this.health.check('redis').up({ replication }) : check;
  }

  private postgresCheck(): Promise<HealthIndicatorResult> {
    return this.probe('postgres', () => this.prisma.$queryRaw`SELECT 1`, CHECK_TIMEOUT_MS);
  }

  private queueCheck(workerRunning: boolean | null): Promise<HealthIndicatorResult> {
    return this.probe(
      'queue',
      async () => {
        await this.queue.ping();
        if (workerRunning === false) throw new Error('the order worker is not running');
      },
      this.redisBoundMs,
    );
  }

  private async probe(key: string, check: () => Promise<unknown>, boundMs: number): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    try {
      await within(check(), boundMs, key);
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}
