import { Command } from 'nest-commander';
import { QueueStatusUseCase } from '../../../application/orders/queue-status.use-case';
import { CliCommand, CliOutput, table } from '../admin-cli';

/** `queue:status`: the CLI door of GET /admin/queue. */
@Command({ name: 'queue:status', description: 'Jobs in the order queue by state' })
export class QueueStatusCliCommand extends CliCommand {
  constructor(private readonly queueStatus: QueueStatusUseCase) {
    super();
  }

  protected async execute(): Promise<CliOutput> {
    const counts = await this.queueStatus.execute();
    return { data: counts, text: table([{ ...counts }]) };
  }
}
