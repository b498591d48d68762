import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/*
 * Child processes of the fleet (redis-server, HAProxy, node): started with their output kept, stopped with a
 * signal, and never left running when this process exits.
 */

const living = new Set<Child>();
process.once('exit', () => {
  for (const c of living) c.process.kill('SIGKILL');
});

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Child {
  /**
   * Start children in process groups of their own: `npm run fleet` sets it, so a Ctrl-C at the terminal
   * reaches the runner alone, which then stops the fleet in order (proxy, instances, worker, Redis) instead of
   * every process dying at once.
   */
  static ownProcessGroups = false;

  readonly process: ChildProcess;
  readonly output = { stdout: '', stderr: '' };
  readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
    cwd?: string,
  ) {
    this.process = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: Child.ownProcessGroups });
    this.process.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output.stdout = keepTail(this.output.stdout + d)));
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => (this.output.stderr = keepTail(this.output.stderr + d)));
    this.exited = new Promise<Exit>((resolve) => {
      this.process.once('exit', (code, signal) => resolve({ code, signal }));
      this.process.once('error', () => resolve({ code: -1, signal: null }));
    });
    living.add(this);
    void this.exited.then(() => living.delete(this));
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Keeps the last 64 KiB of a process's output: enough to say why it failed. */
function keepTail(s: string): string {
  return s.length > 65_536 ? s.slice(-65_536) : s;
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; throws `what` after `timeoutMs`. */
/** Thrown by a probe of until() to stop waiting at once (the awaited process died, say). */
export class GiveUp extends Error {}

export async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await probe().catch((e: unknown) => {
        if (e instanceof GiveUp) throw e;
        return false;
      })
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
