import { Logger } from '@nestjs/common';
import { within } from '../../application/shared/within';

/**
 * Runs a step again and again until stopped: at once while it reports at least `busyAt` units of work done
 * (default 1: any work), after `idleMs` otherwise, and with growing pauses (up to 5 s, or `idleMs` if longer) while it fails,
 * logging the first failure of a streak and the recovery. stop() waits for the step in progress.
 *
 * A step with a large fixed cost per call sets `busyAt` to its full batch: under a steady trickle it then
 * waits and takes one large batch instead of many small ones.
 */
export class BackgroundLoop {
  private readonly logger: Logger;
  private stopped = false;
  private running?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly name: string,
    private readonly step: () => Promise<number>,
    private readonly idleMs: number,
    private readonly busyAt = 1,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Stops the loop and waits for the step in progress, but at most `waitMs`: a step stuck on an unreachable
   * dependency must not hold up shutdown (closing the connections fails it soon after).
   */
  async stop(waitMs = 5_000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await within(this.running ?? Promise.resolve(), waitMs, `${this.name} stop`).catch((e: Error) => this.logger.warn(e.message));
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let pause: number;
      try {
        const done = await this.step();
        if (failures > 0) this.logger.log(`recovered after ${failures} failed attempt(s)`);
        failures = 0;
        pause = done >= this.busyAt ? 0 : this.idleMs;
      } catch (e) {
        if (failures === 0) this.logger.warn(`${this.name} failed, retrying: ${(e as Error).message}`);
        failures++;
        // Never sooner than a run that works would come back: a failing step with a long interval (the
        // reconciler's minute, scanning every sale) must not run twelve times as often because it fails.
        pause = Math.max(this.idleMs, Math.min(5_000, this.idleMs * 2 ** Math.min(failures, 10)));
      }
      if (this.stopped) break;
      await (pause > 0 ? this.sleep(pause) : new Promise<void>((r) => setImmediate(r)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
