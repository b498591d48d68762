import { Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DashboardUseCase } from '../../../application/dashboard/dashboard.use-case';
import { openEventStream } from '../../http/server-sent-events';
import { AdminController } from '../admin-http';

const DASHBOARD_INTERVAL_MS = 1_000;

/** The dashboard's data (no CLI door: the dashboard is a page): a snapshot, and a stream of them every second. */
@AdminController()
export class DashboardHttpController {
  constructor(private readonly dashboard: DashboardUseCase) {}

  @Get('dashboard')
  snapshot() {
    return this.dashboard.snapshot();
  }

  @Get('events')
  events(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const stream = openEventStream(request, reply);
    const tick = async () => {
      try {
        stream.send('stats', await this.dashboard.snapshot());
      } catch {
        // A dependency is down: the next tick tries again, and health in the snapshot says why.
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), DASHBOARD_INTERVAL_MS);
    stream.onClose(() => clearInterval(timer));
  }
}
