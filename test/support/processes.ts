import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

/*
 * Real processes from dist/: build once, spawn `node dist/<entry>.js` with an environment, watch its output
 * and exit, and make sure nothing is left running after a test file, even when it fails.
 */

export const ROOT = path.resolve(__dirname, '..', '..');

/** Compiles src/ into dist/ (incremental: cheap when dist is current). */
export function buildDist(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}

/** A loopback port nobody listens on right now (the fleet scripts' own helper). */
export { freePort } from '../../scripts/fleet/children';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  readonly output: { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves with the exit, or null if it is still running after `ms`. */
  exitWithin(ms: number): Promise<Exit | null>;
  /** SIGKILL if still running; waits for the exit. */
  kill(): Promise<void>;
}

const running = new Set<NodeProcess>();

/**
 * Spawns `node dist/<entry>` with exactly `env` on top of this process's environment (which holds the test
 * DATABASE_URL / REDIS_URL). HOST is pinned to loopback and the scheduler is off unless the caller says so.
 */
export function spawnDist(entry: 'main.js' | 'worker.js', env: Record<string, string>): NodeProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', entry)], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      SALE_SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: 'log',
      // user_id from the request and no limits, unless a test says otherwise (test/e2e/auth-*, rate-limits).
      AUTH_MODE: 'trusted',
      RATE_LIMIT: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
  // 'close', not 'exit': 'exit' may come before the last of the child's output has been read (CI run 22 saw a
  // process that stopped on a bad setting with its stderr still empty), and tests read that output.
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const proc: NodeProcess = {
    child,
    output,
    exited,
    exitWithin: (ms) => Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Kills every process spawned by spawnDist that is still running (for afterAll / afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}

export interface HttpResult {
  readonly status?: number;
  readonly headers?: http.IncomingHttpHeaders;
  readonly body?: any;
  /** Set when no response came: ECONNREFUSED, ECONNRESET, ... */
  readonly error?: string;
  /** When the response (or the error) arrived, Date.now(). */
  readonly at: number;
}

/** One HTTP request on `agent`, never throwing: a response, or the network error that replaced it. */
export function httpRequest(
  agent: http.Agent,
  method: string,
  url: string,
  timeoutMs = 15_000,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent, timeout: timeoutMs, headers }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (raw += d));
      res.on('end', () => {
        let body: unknown = raw;
        try {
          body = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          // not JSON: keep the text, the caller's assertions will show it
        }
        resolve({ status: res.statusCode, headers: res.headers, body, at: Date.now() });
      });
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, at: Date.now() }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, at: Date.now() }));
    req.end();
  });
}

/** Polls GET /health/ready until it answers 200; throws with the process output if it never does. */
export async function waitUntilReady(url: string, proc: NodeProcess, timeoutMs = 20_000): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break;
    const res = await httpRequest(agent, 'GET', `${url}/health/ready`, 2_000);
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${url} never became ready (exit ${proc.child.exitCode})\nstdout:\n${proc.output.stdout}\nstderr:\n${proc.output.stderr}`,
  );
}
