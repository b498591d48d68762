import { Injectable } from '@nestjs/common';

/** Whether the process is shutting down: readiness turns false first, so balancers stop sending traffic. */
@Injectable()
export class ProcessLifecycle {
  private stopping = false;

  get shuttingDown(): boolean {
    return this.stopping;
  }

  beginShutdown(): void {
    this.stopping = true;
  }
}
