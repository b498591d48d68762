import { Command } from 'nest-commander';
import { LineAdminUseCase, MAX_LINE_RATE } from '../../../application/line/line-admin.use-case';
import { CliCommand, CliFailure, CliOutput, positiveInt, saleIdArg } from '../admin-cli';
import { lineText } from '../line-text';

/** `line:rate`: the CLI door of POST /admin/sales/:id/line/rate. */
@Command({
  name: 'line:rate',
  arguments: '<saleId> <perSecond>',
  description: `Set how many buyers a second a sale's line admits (1 to ${MAX_LINE_RATE}), at once on every instance`,
})
export class LineRateCliCommand extends CliCommand {
  constructor(private readonly lines: LineAdminUseCase) {
    super();
  }

  protected async execute([id, perSecond]: string[]): Promise<CliOutput> {
    if (perSecond === undefined) throw new CliFailure('missing the rate (buyers per second)');
    const result = await this.lines.setRate(saleIdArg(id), positiveInt('perSecond', MAX_LINE_RATE)(perSecond));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: lineText(result.value) };
  }
}
