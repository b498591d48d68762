import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { AppConfig } from '../config/app-config';

const PINO_LEVEL: Record<AppConfig['LOG_LEVEL'], pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * One buffered stdout stream per process, flushed when it exits, whatever the number of loggers on it (the
 * test suite starts many apps in one process: one stream and one exit listener each used to pile up).
 */
function sharedStdout(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    const destination = pino.destination({ sync: false });
    process.once('exit', () => destination.flushSync());
    stdout = destination;
  }
  return stdout;
}

/**
 * The process's structured logger: one JSON object per line on stdout. Writes are buffered off the hot path
 * (asynchronous destination) and flushed when the process exits.
 */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL'>): Logger {
  const destination = sharedStdout();
  return pino(
    {
      level: PINO_LEVEL[config.LOG_LEVEL],
      base: { service: 'flashsale', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger that makes its pino child (with the request id bound) only when something is logged.
 * Fastify makes one child per request by default, which costs a bindings serialisation on every request;
 * only a sample of requests (and errors) ever log.
 */
export class LazyChildLogger {
  private made?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
  ) {}

  get level(): string {
    return this.parent.level;
  }

  set level(level: string) {
    this.child().level = level;
  }

  fatal(...args: unknown[]): void {
    this.call('fatal', args);
  }
  error(...args: unknown[]): void {
    this.call('error', args);
  }
  warn(...args: unknown[]): void {
    this.call('warn', args);
  }
  info(...args: unknown[]): void {
    this.call('info', args);
  }
  debug(...args: unknown[]): void {
    this.call('debug', args);
  }
  trace(...args: unknown[]): void {
    this.call('trace', args);
  }
  silent(): void {}

  child(bindings?: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    this.made ??= this.parent.child(this.bindings);
    return bindings ? this.made.child(bindings, options) : this.made;
  }

  private call(method: LogMethod, args: unknown[]): void {
    if (!this.parent.isLevelEnabled(method)) return;
    (this.child()[method] as (...a: unknown[]) => void)(...args);
  }
}

/** Nest's logger interface on top of pino, so framework and application logs share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes the context (the logger's name) last; an error's stack, when there is one, before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = typeof rest[0] === 'string' && level === 'error' ? (rest[0] as string) : undefined;
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else this.logger[level]({ context, ...(stack ? { stack } : {}) }, typeof message === 'string' ? message : JSON.stringify(message));
  }
}
