import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../shared/clock.port';
import { within } from '../shared/within';
import { LineSales } from './line-sales.service';
import { WaitingLine } from './waiting-line.port';
import { WaitingRoomSettings } from './waiting-room-settings';

/** How long one line's step may take before the others' results are used without it. */
export const LINE_STEP_BOUND_MS = 2_000;

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

  /**
   * Returns how many buyers were admitted. The lines step side by side, each within its own bound: one whose
   * Redis shard does not answer (a Cluster shard down, with another sale running) delays the others once, by
   * the bound, and is then skipped until its call answers.
   * A failing line is logged when it starts and stops failing; the step fails only if every line did.
   */
  async execute(): Promise<number> {
    if (!this.settings.enabled) return 0;
    const policy = {
      defaultRate: this.settings.admitPerSecond,
      admittedPerUnit: this.settings.admittedPerUnit,
      admissionMs: this.settings.admissionMs,
      heartbeatMs: this.settings.heartbeatMs,
    };
    const sales = this.sales.running(this.clock.now());
    const steps = await Promise.allSettled(
      sales.map((sale) => {
        // A line whose last call has not answered is skipped, not waited for again (nor asked again: the calls
        // would pile up on the connection until its shard came back).
        if (this.inFlight.has(sale.id)) return Promise.reject(new Error(`line of sale ${sale.id}: its last step has not answered yet`));
        const call = this.line.admit(sale, policy).finally(() => this.inFlight.delete(sale.id));
        this.inFlight.set(sale.id, call);
        return within(call, LINE_STEP_BOUND_MS, `line of sale ${sale.id}`);
      }),
    );
    let admitted = 0;
    let failure: unknown = null;
    steps.forEach((step, i) => {
      const saleId = sales[i]!.id;
      if (step.status === 'rejected') {
        failure ??= step.reason;
        if (!this.failing.has(saleId)) this.logger.warn(`line of sale ${saleId}: ${(step.reason as Error).message}`);
        this.failing.add(saleId);
        return;
      }
      if (this.failing.delete(saleId)) this.logger.log(`line of sale ${saleId} steps again`);
      if (step.value.kind === 'open') admitted += step.value.admitted;
      if (step.value.kind === 'closed' && !this.closedSeen.has(saleId)) {
        this.closedSeen.add(saleId);
        this.logger.log(`line of sale ${saleId} closed: ${step.value.reason}`);
      }
    });
    if (failure && steps.every((s) => s.status === 'rejected')) throw failure;
    return admitted;
  }

  private readonly closedSeen = new Set<number>();
  private readonly failing = new Set<number>();
  private readonly inFlight = new Map<number, Promise<unknown>>();
}
