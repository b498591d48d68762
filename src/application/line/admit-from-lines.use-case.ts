import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../shared/clock.port';
import { LineSales } from './line-sales.service';
import { WaitingLine } from './waiting-line.port';
import { WaitingRoomSettings } from './waiting-room-settings';

/**
 * One step of every running sale's line: admit at the line's rate within what the stock can serve, forget
 * spent and expired admissions, close the line once the sale has sold out or ended. Every instance runs it
 * (the rate is a token bucket in Redis, so more callers do not admit faster).
 */
@Injectable()
export class AdmitFromLinesUseCase {
  private readonly logger = new Logger('WaitingRoom');

  constructor(
    private readonly line: WaitingLine,
    private readonly sales: LineSales,
    private readonly settings: WaitingRoomSettings,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Returns how many buyers were admitted. */
  async execute(): Promise<number> {
    if (!this.settings.enabled) return 0;
    let admitted = 0;
    for (const sale of this.sales.running(this.clock.now())) {
      const step = await this.line.admit(sale, {
        defaultRate: this.settings.admitPerSecond,
        admittedPerUnit: this.settings.admittedPerUnit,
        admissionMs: this.settings.admissionMs,
        heartbeatMs: this.settings.heartbeatMs,
      });
      if (step.kind === 'open') admitted += step.admitted;
      if (step.kind === 'closed' && !this.closedSeen.has(sale.id)) {
        this.closedSeen.add(sale.id);
        this.logger.log(`line of sale ${sale.id} closed: ${step.reason}`);
      }
    }
    return admitted;
  }

  private readonly closedSeen = new Set<number>();
}
