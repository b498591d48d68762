import { Command } from 'nest-commander';
import { PauseSaleUseCase } from '../../../application/sales/pause-sale.use-case';
import { CliCommand, CliFailure, CliOutput, saleIdArg } from '../admin-cli';

/** `sale:pause` and `sale:resume`: the CLI doors of POST /admin/sales/:id/pause and /resume. */
abstract class SetPausedCliCommand extends CliCommand {
  constructor(
    private readonly pauseSale: PauseSaleUseCase,
    private readonly paused: boolean,
  ) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const saleId = saleIdArg(id);
    const result = await (this.paused ? this.pauseSale.pause(saleId) : this.pauseSale.resume(saleId));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: `sale ${result.value.id} is ${result.value.status}` };
  }
}

@Command({
  name: 'sale:pause',
  arguments: '<saleId>',
  description: 'Pause a sale: checkout and purchase answer 409 sale_paused until it is resumed',
})
export class PauseSaleCliCommand extends SetPausedCliCommand {
  // Each command declares its own constructor: Nest injects by the decorated class's parameter types.
  constructor(pauseSale: PauseSaleUseCase) {
    super(pauseSale, true);
  }
}

@Command({ name: 'sale:resume', arguments: '<saleId>', description: 'Resume a paused sale' })
export class ResumeSaleCliCommand extends SetPausedCliCommand {
  constructor(pauseSale: PauseSaleUseCase) {
    super(pauseSale, false);
  }
}
