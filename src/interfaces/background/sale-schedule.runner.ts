import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EnsureUpcomingSalesUseCase } from '../../application/sales/ensure-upcoming-sales.use-case';
import { KeepSalesLoadedUseCase } from '../../application/sales/keep-sales-loaded.use-case';
import { SaleCalendar } from '../../application/sales/sale-calendar.service';
import { SaleSettings } from '../../application/sales/sale-settings';
import { within } from '../../application/shared/within';
import { BackgroundLoop } from './background-loop';

const CALENDAR_REFRESH_MS = 1_000;
const FIRST_RUN_MS = 10_000;

/**
 * Keeps this instance's sale calendar fresh, every sale that has not ended loaded and registered (scheduler
 * on or off, every SALE_KEEPER_INTERVAL_MS), and, when the scheduler is on, makes sure the current and next
 * recurring sale exist and are loaded. The scheduler's first run happens before the app starts serving, so a
 * fresh `npm start` answers with a live sale (the keeper's first run is not waited for).
 */
@Injectable()
export class SaleScheduleRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly loops: BackgroundLoop[] = [];

  constructor(
    private readonly calendar: SaleCalendar,
    private readonly ensureUpcoming: EnsureUpcomingSalesUseCase,
    private readonly keepLoaded: KeepSalesLoadedUseCase,
    private readonly settings: SaleSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Bounded: with Redis or PostgreSQL away the process still starts (not ready) and the loops heal it.
    await within(this.calendar.refresh(), FIRST_RUN_MS, 'sale calendar').catch((e: Error) => this.logger.warn(e.message));
    if (this.settings.schedulerEnabled) {
      await within(this.ensureUpcoming.execute(), FIRST_RUN_MS, 'preparing sales').catch((e: Error) => this.logger.warn(e.message));
      this.loops.push(
        new BackgroundLoop('Scheduler', () => this.ensureUpcoming.execute().then(() => 0), this.settings.schedulerIntervalMs),
      );
    }
    if (this.settings.keeperIntervalMs > 0) {
      this.loops.push(new BackgroundLoop('SaleKeeper', () => this.keepLoaded.execute().then(() => 0), this.settings.keeperIntervalMs));
    }
    this.loops.push(new BackgroundLoop('SaleCalendar', () => this.calendar.refresh().then(() => 0), CALENDAR_REFRESH_MS));
    for (const loop of this.loops) loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }
}
