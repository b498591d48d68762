import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AdmitFromLinesUseCase } from '../../application/line/admit-from-lines.use-case';
import { BackgroundLoop } from './background-loop';

/**
 * Steps every running sale's line five times a second: admissions at the line's rate (a token bucket in
 * Redis, so every instance may run this), and the line closed within a fraction of a second of a sell-out
 * or the sale's end. Not started with WAITING_ROOM=off.
 */
export const LINE_STEP_MS = 200;

@Injectable()
export class LineAdmissionRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private loop?: BackgroundLoop;

  constructor(private readonly admit: AdmitFromLinesUseCase) {}

  onApplicationBootstrap(): void {
    if (!this.admit.enabled) return;
    // busyAt Infinity: always wait a step, whatever was admitted, so the loop paces itself.
    this.loop = new BackgroundLoop('WaitingRoom', () => this.admit.execute(), LINE_STEP_MS, Infinity);
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }
}
