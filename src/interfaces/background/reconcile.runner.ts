import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ReconcileOrdersUseCase } from '../../application/orders/reconcile-orders.use-case';
import { ReconcileSettings } from '../../application/orders/reconcile-settings';
import { BackgroundLoop } from './background-loop';

/** Reconciles Redis with PostgreSQL every RECONCILE_INTERVAL_MS (0: never by itself). */
@Injectable()
export class ReconcileRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly reconcile: ReconcileOrdersUseCase,
    private readonly settings: ReconcileSettings,
  ) {
    this.loop = new BackgroundLoop('Reconciler', () => this.reconcile.runScheduled().then(() => 0), settings.intervalMs);
  }

  onApplicationBootstrap(): void {
    if (this.settings.intervalMs > 0) this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
