import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { configOrExit } from './bootstrap';
import { CliModule } from './modules/cli.module';

// Admin CLI: `node dist/cli.js <command> [--json]`, or `npm run cli -- <command>`. `--help` lists commands.
const config = configOrExit();
// With Redis or PostgreSQL away a command would wait for them (the connections retry); give up instead.
const CLI_TIMEOUT_MS = 20_000;
setTimeout(() => {
  process.stderr.write(`error: no answer within ${CLI_TIMEOUT_MS / 1000} s: are Redis (${config.REDIS_URL}) and PostgreSQL reachable?\n`);
  process.exit(1);
}, CLI_TIMEOUT_MS).unref();
CommandFactory.run(CliModule.forRoot(config), {
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
}).catch((e: Error) => {
  process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
  process.exit(2);
});
