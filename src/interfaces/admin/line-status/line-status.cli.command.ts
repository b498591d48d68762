import { Command } from 'nest-commander';
import { LineAdminUseCase } from '../../../application/line/line-admin.use-case';
import { CliCommand, CliFailure, CliOutput, saleIdArg } from '../admin-cli';
import { lineText } from '../line-text';

/** `line:status`: the CLI door of GET /admin/sales/:id/line. */
@Command({ name: 'line:status', arguments: '<saleId>', description: "A sale's waiting line: waiting, admitted, rate, median wait" })
export class LineStatusCliCommand extends CliCommand {
  constructor(private readonly lines: LineAdminUseCase) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const result = await this.lines.status(saleIdArg(id));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: lineText(result.value) };
  }
}
