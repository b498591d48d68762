import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/*
 * The plumbing of the bench: child processes that are always stopped, polling helpers, and what /proc says
 * about them. Every address used here is 127.0.0.1.
 */

export const ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const LOG_DIR = path.join(RESULTS_DIR, 'logs');
/** Where BENCH_PROFILE=1 puts the app instances' CPU profiles. */
export const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function log(message: string): void {
  process.stderr.write(`\x1b[1m[bench]\x1b[0m ${message}\n`);
}

// --- Child processes -----------------------------------------------------------------------------------

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Set once the process has exited, with its code or signal. */
  exited: string | null;
}

const children = new Set<Child>();
/** Other processes the bench started (wrk runs): killed with the children. */
const guarded = new Set<ChildProcess>();

/** Kills `proc` with the bench's children if the bench exits before it does. */
export function guard(proc: ChildProcess): void {
  guarded.add(proc);
  proc.once('exit', () => guarded.delete(proc));
}

/**
 * Every child is killed when the bench exits, however it exits: normal end, error, Ctrl-C or SIGTERM.
 * 'exit' handlers must be synchronous, so there it is SIGKILL at once; a normal run stops them gracefully
 * before that.
 */
function killAllNow(): void {
  for (const c of children) if (!c.exited) c.process.kill('SIGKILL');
  for (const p of guarded) p.kill('SIGKILL');
}
process.on('exit', killAllNow);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the processes the bench started`);
    killAllNow();
    process.exit(code);
  });
}

/**
 * Starts `node <args>` with its stdout and stderr going straight into bench/results/logs/<name>.log (a
 * regular file the child writes itself: nothing in the bench reads a pipe, so a chatty child can never
 * stall on a full one, and the bench pays nothing for its output). `ipc`: also a message channel.
 */
export function startNode(name: string, args: readonly string[], env: Record<string, string>, ipc = false): Child {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  closeSync(fd);
  const child: Child = { name, process: proc, logFile, exited: null };
  children.add(child);
  proc.on('exit', (code, signal) => {
    child.exited = signal ?? `exit code ${code}`;
  });
  return child;
}

/** SIGTERM (the app's graceful shutdown), then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<void> {
  if (!child.exited) {
    const gone = new Promise<void>((r) => child.process.once('exit', () => r()));
    child.process.kill('SIGTERM');
    const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
  children.delete(child);
}

export function logTail(child: Child, lines = 30): string {
  try {
    return readFileSync(child.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it returns a value, failing early if `child` dies and after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, child?: Child): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child?.exited) throw new Error(`${child.name} exited (${child.exited}) while waiting for ${what}:\n${logTail(child)}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${child ? `; ${child.name} log:\n${logTail(child)}` : ''}`);
    }
    await sleep(100);
  }
}

/** A port nobody listens on right now (the OS picks it), so the bench never collides with `npm start`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// --- Talking to a child started with `ipc` ------------------------------------------------------------

/**
 * Sends `message` (if any) to the child and waits for its reply whose `type` is `type`; fails if the child
 * exits first or after `timeoutMs`.
 */
export function ask<T extends { type: string }>(child: Child, message: object | null, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if ((m as { type?: unknown } | null)?.type !== type) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`${child.name} exited (${child.exited}) before answering "${type}":\n${logTail(child)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${child.name}: no "${type}" answer in ${timeoutMs} ms:\n${logTail(child)}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      child.process.off('exit', onExit);
    };
    if (child.exited) return onExit();
    child.process.on('message', onMessage);
    child.process.once('exit', onExit);
    if (message) child.process.send(message);
  });
}

// --- Files and limits ------------------------------------------------------------------------------------

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return NaN;
  }
}

/** Lines (newline characters) in bytes [from, to) of a file: what a child wrote to its log meanwhile. */
export function countLines(file: string, from: number, to: number): number {
  if (!(to > from)) return 0;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (let at = from; at < to;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
      if (n <= 0) break;
      for (let i = buf.indexOf(10); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) lines++;
      at += n;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** The soft limit on open files of a running process, from /proc (Linux). NaN elsewhere or if unlimited. */
export function openFileLimit(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.trim().split(/\s{2,}/)[1]);
  } catch {
    return NaN;
  }
}
