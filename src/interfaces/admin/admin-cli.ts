import { CommandRunner, Option } from 'nest-commander';
import { Rejection } from '../../domain/shared/rejection';
import { SaleView } from '../../application/sales/sale-view';
import { SaleId } from '../../domain/sale/sale-id.value-object';

/*
 * The admin CLI's shared parts: the base of every command, tables, argument parsers.
 */

/** What a command prints: `data` with --json, `text` otherwise. */
export interface CliOutput {
  readonly data: unknown;
  readonly text: string;
}

/** An expected failure: printed as one line, exit code 1. */
export class CliFailure extends Error {
  static of(rejection: Rejection): CliFailure {
    return new CliFailure(`${rejection.code}: ${rejection.detail}`);
  }
}

/**
 * Base of every admin command: each is a thin door onto a use case. It prints the result (as JSON with
 * --json, for scripts) and exits 0, or prints one line naming what went wrong and exits non-zero.
 */
export abstract class CliCommand extends CommandRunner {
  protected abstract execute(params: string[], options: Record<string, unknown>): Promise<CliOutput>;

  /** Arguments beyond those declared are refused (commander lets them through): `sale:pause 42 43` pauses nothing. */
  override setCommand(command: Parameters<CommandRunner['setCommand']>[0]): this {
    command.allowExcessArguments(false);
    return super.setCommand(command);
  }

  async run(params: string[], options: Record<string, unknown> = {}): Promise<void> {
    try {
      const out = await this.execute(params, options);
      process.stdout.write(`${options.json ? JSON.stringify(out.data, null, 2) : out.text}\n`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`error: ${message.split('\n').find((l) => l.trim()) ?? 'failed'}\n`);
      process.exitCode = e instanceof CliFailure ? 1 : 2;
    }
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** Formats rows as an aligned text table. */
export function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The largest PostgreSQL integer: sale ids and counts stored as one. */
const MAX_INT = 2_147_483_647;

/** An integer from `min` (1 unless given) to `max`, as the HTTP door's bounds for the same value. */
export function positiveInt(name: string, max = MAX_INT, min = 1) {
  return (raw: string): number => {
    const n = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min && n <= max))
      throw new CliFailure(
        `${name} must be ${min === 1 ? 'a positive integer' : `an integer from ${min}`} up to ${max.toLocaleString('en')}, got "${raw}"`,
      );
    return n;
  };
}

export function saleIdArg(raw: string | undefined): SaleId {
  if (raw === undefined) throw new CliFailure('missing the sale id');
  return positiveInt('sale id')(raw) as SaleId;
}

/** A sale as one row of the CLI's tables. */
export const saleRow = (s: SaleView) => ({
  id: s.id,
  status: s.status,
  startsAt: s.startsAt,
  endsAt: s.endsAt,
  sold: `${s.itemsSold}/${Math.min(s.saleCap, s.itemsTotal)}`,
  perUserLimit: s.perUserLimit,
});
