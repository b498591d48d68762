import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ReconcileOrdersUseCase } from '../../application/orders/reconcile-orders.use-case';
import { Lease } from '../../application/shared/lease.port';
import { AppConfig } from '../../infrastructure/config/app-config';
import { BackgroundLoop } from './background-loop';

const LEASE = 'reconciler';

/** Reconciles Redis with PostgreSQL every RECONCILE_INTERVAL_MS, on one instance at a time. */
@Injectable()
export class ReconcileRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly reconcile: ReconcileOrdersUseCase,
    private readonly lease: Lease,
    private readonly config: AppConfig,
  ) {
    this.loop = new BackgroundLoop('Reconciler', () => this.run(), config.RECONCILE_INTERVAL_MS);
  }

  onApplicationBootstrap(): void {
    if (this.config.RECONCILE_INTERVAL_MS > 0) this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private async run(): Promise<number> {
    // The lease lasts a little longer than the interval, so the instance that has it keeps it from run to
    // run; if that instance dies, another takes over within one interval.
    if (await this.lease.acquire(LEASE, this.config.RECONCILE_INTERVAL_MS + 5_000))
      await this.reconcile.execute();
    return 0;
  }
}
