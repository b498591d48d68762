import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '../config/app-config';
import { PrismaClient } from './generated/client';

/** The one Prisma client of the process, on the pg driver adapter with a bounded pool. */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.DATABASE_URL,
        max: config.DATABASE_POOL_SIZE,
        // Fail a query fast when PostgreSQL is away instead of stacking waiters; the queue retries.
        connectionTimeoutMillis: 3_000,
        // The adapter sends times without an offset, read in the session's time zone: UTC, whatever the
        // server's default, or a sale in a daylight-saving gap of a local zone would be stored an hour off.
        options: '-c TimeZone=UTC',
      }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
