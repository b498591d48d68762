import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CheckoutAttemptsSettings } from '../../application/analytics/checkout-attempts-settings';
import { RecordCheckoutAttemptsUseCase } from '../../application/analytics/record-checkout-attempts.use-case';
import { within } from '../../application/shared/within';
import { BackgroundLoop } from './background-loop';

/** Runs the attempts writer again and again: at once after a full batch, after a pause otherwise. */
@Injectable()
export class CheckoutAttemptsRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly recordAttempts: RecordCheckoutAttemptsUseCase,
    settings: CheckoutAttemptsSettings,
  ) {
    this.loop = new BackgroundLoop('AttemptsWriter', () => this.recordAttempts.runOnce(), settings.idleMs, settings.batchSize);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await within(this.recordAttempts.releaseLease(), 1_000, 'lease release').catch(() => undefined);
  }
}
