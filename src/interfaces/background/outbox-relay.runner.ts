import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OrderPipelineSettings } from '../../application/order-pipeline/order-pipeline-settings';
import { RelayPurchasesUseCase } from '../../application/order-pipeline/relay-purchases.use-case';
import { within } from '../../application/shared/within';
import { BackgroundLoop } from './background-loop';

/** Runs the outbox relay again and again: at once after a full batch, after a short pause otherwise. */
@Injectable()
export class OutboxRelayRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly relay: RelayPurchasesUseCase,
    settings: OrderPipelineSettings,
  ) {
    this.loop = new BackgroundLoop('OutboxRelay', () => this.relay.runOnce(), settings.relayIdleMs, settings.batchSize);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await within(this.relay.releaseLease(), 1_000, 'lease release').catch(() => undefined);
  }
}
