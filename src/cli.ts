import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { configOrExit } from './bootstrap';
import { unreachable } from './infrastructure/health/reachability';
import { CliModule } from './modules/cli.module';

// Admin CLI: `node dist/cli.js <command> [--json]`, or `npm run cli -- <command>`. `--help` lists commands.
const config = configOrExit();

async function main(): Promise<void> {
  // With Redis or PostgreSQL away a command would wait for them (its connections retry): say so at once.
  const args = process.argv.slice(2);
  const helpOnly = args.length === 0 || args.some((a) => a === '--help' || a === '-h' || a === 'help');
  const problem = helpOnly ? null : await unreachable(config);
  if (problem) {
    process.stderr.write(`error: ${problem}\n`);
    process.exit(1);
  }
  await CommandFactory.run(CliModule.forRoot(config), {
    cliName: 'flashsale',
    logger: ['error'],
    // An option value our parsers refuse (they throw CliFailure): one line, exit 1.
    serviceErrorHandler: (e) => {
      process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
      process.exitCode = 1;
    },
    // Commander's messages (a bad option value, an unknown command) as one full line on stderr.
    outputConfiguration: { writeErr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`) },
    // Commander's own errors (unknown command, missing argument): one line and a non-zero exit.
    errorHandler: (e) => {
      const code = (e as { code?: string }).code ?? '';
      if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(0);
      process.exit(1);
    },
  });
}

main().catch((e: Error) => {
  process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
  process.exit(2);
});
