import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium through playwright-core (no browser download: the package ships no
 * browser). `scripts/setup.sh --test` installs the `chromium` package when it is missing and it can.
 */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';

/** Screenshots land here (git-ignored). */
export const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A fresh headless Chromium (its own temporary profile). Fails with a clear message when there is none. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, and there is none. Install Debian's package ` +
        '(sudo apt-get install chromium; `npm test` does it by itself when run as root) or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true, timeout: 30_000 });
}

export function outputPath(file: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return path.join(OUTPUT_DIR, file);
}

/**
 * A TCP proxy on a loopback port in front of the app, so a test can cut the browser's connections (as a
 * network drop or a server restart would) and let them back in, while the app itself keeps running.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => {
      if (!proxy || proxy.refusing) return void client.destroy();
      const upstream = net.connect(Number(target.port), target.hostname);
      proxy.track(client);
      proxy.track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as net.AddressInfo;
    proxy = new TcpProxy(server, `http://127.0.0.1:${address.port}`);
    return proxy;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** JSON over HTTP straight to the app (not through the browser). */
export async function call(
  base: string,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(base + pathAndQuery, { method, headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Checkout then purchase, through the API: the purchase's answer. */
export async function buy(base: string, user: string, itemIds: number[]): Promise<{ status: number; body: any }> {
  let code = '';
  for (const id of itemIds) {
    const co = await call(base, 'POST', `/checkout?user_id=${encodeURIComponent(user)}&id=${id}`);
    if (co.status !== 200) throw new Error(`checkout of item ${id} for ${user}: ${co.status} ${JSON.stringify(co.body)}`);
    code = co.body.code;
  }
  return call(base, 'POST', `/purchase?code=${encodeURIComponent(code)}`);
}

/**
 * Evaluates a JavaScript expression in the page. A string on purpose: the tests compile without the DOM's
 * types (tsconfig has no "dom" lib), so page code is written as text.
 */
export function inPage<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/**
 * Waits until a JavaScript expression is truthy in the page. Polled with evaluate: waitForFunction with a string
 * compiles it inside the page, which the pages' Content-Security-Policy (no 'unsafe-eval') forbids.
 */
export async function untilInPage(page: Page, expression: string, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`not true in the page within ${timeout} ms: ${expression}`);
    await page.waitForTimeout(50);
  }
}

/** Waits until the first element matching `selector` has text matching `expected`; returns that text. */
export async function waitForText(page: Page, selector: string, expected: RegExp, timeout = 15_000): Promise<string> {
  const locator = page.locator(selector);
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.count()) ? ((await locator.first().textContent()) ?? '') : '';
    if (expected.test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${String(expected)}, got "${last.trim()}" after ${timeout} ms`);
}

/** Waits until an attribute of the element matching `selector` has the value. */
export async function waitForAttr(page: Page, selector: string, attr: string, value: string, timeout = 15_000): Promise<void> {
  const [s, a, v] = [selector, attr, value].map((x) => JSON.stringify(x));
  await untilInPage(page, `document.querySelector(${s})?.getAttribute(${a}) === ${v}`, timeout);
}

/** A string as a literal part of a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Collects into `into` what the browser refuses on `page` under the pages' Content-Security-Policy. */
export function collectPolicyRefusals(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) into.push(m.text());
  });
}
