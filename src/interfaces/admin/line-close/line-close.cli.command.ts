import { Command } from 'nest-commander';
import { LineAdminUseCase } from '../../../application/line/line-admin.use-case';
import { CliCommand, CliFailure, CliOutput, saleIdArg } from '../admin-cli';
import { lineText } from '../line-text';

/** `line:close`: the CLI door of POST /admin/sales/:id/line/close. */
@Command({
  name: 'line:close',
  arguments: '<saleId>',
  description: "Close a sale's line: nobody more joins or is admitted, and waiting buyers are told at once",
})
export class LineCloseCliCommand extends CliCommand {
  constructor(private readonly lines: LineAdminUseCase) {
    super();
  }

  protected async execute([id]: string[]): Promise<CliOutput> {
    const result = await this.lines.close(saleIdArg(id));
    if (!result.ok) throw CliFailure.of(result.error);
    return { data: result.value, text: lineText(result.value) };
  }
}
