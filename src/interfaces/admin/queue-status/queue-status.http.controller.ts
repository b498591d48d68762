import { Get } from '@nestjs/common';
import { QueueStatusUseCase } from '../../../application/orders/queue-status.use-case';
import { AdminController } from '../admin-http';

/** GET /admin/queue: jobs in the order queue by state. */
@AdminController()
export class QueueStatusHttpController {
  constructor(private readonly queueStatus: QueueStatusUseCase) {}

  @Get('queue')
  status() {
    return this.queueStatus.execute();
  }
}
