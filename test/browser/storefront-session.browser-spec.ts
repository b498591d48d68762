import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { Sale } from '../../src/domain/sale/sale.entity';
import { call, escapeRegExp, inPage, launchBrowser, outputPath, untilInPage, waitForAttr, waitForText } from '../support/browser';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { eventually, rawRedis, wipeState, withPg } from '../support/test-env';

/*
 * The storefront at / with AUTH_MODE=session (what `npm start` runs): a newcomer creates an account, signs
 * in, enters the mailed one-time code (a wrong one first), buys with the session cookie and no user_id, is
 * still signed in after a reload, signs in again when the session expires, and signs out. Refusals keep
 * their words; too many sign-in attempts tell the buyer to slow down.
 */

jest.setTimeout(120_000);

const EMAIL = `newcomer.${Date.now()}@example.com`;
const PASSWORD = 'correct horse battery staple';

let t: TestApp;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let sale: Sale;
let ids: number[];
let names: Map<number, string>;
/** Every checkout and purchase the page sends, with all its headers. */
const buying: { url: string; headers: Record<string, string> }[] = [];
/** Uncaught errors in the page: there must be none. */
const pageErrors: string[] = [];

beforeAll(async () => {
  await wipeState();
  // The session is made to expire below by deleting its key in Redis, which an instance answering verified
  // sessions from memory would see only after SESSION_CACHE_MS (test/contract/session-store covers that).
  t = await startTestApp({ AUTH_MODE: 'session', SESSION_CACHE_MS: '0' });
  sale = await createOpenSale(t, { itemsTotal: 12, perUserLimit: 2 });
  ids = await itemIdsOf(t, sale);
  const items = await call(t.url, 'GET', `/sales/${sale.id}/items?limit=1000`);
  names = new Map(items.body.items.map((i: { id: number; name: string }) => [i.id, i.name]));
  browser = await launchBrowser();
  desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page = await desktop.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (req: Request) => {
    if (/\/(checkout|purchase)\?/.test(req.url())) {
      void req.allHeaders().then((headers) => buying.push({ url: req.url(), headers }));
    }
  });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await t?.close();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

const card = (p: Page, id: number) => p.locator(`#grid [data-item-id="${id}"]`);
const dialog = (p: Page) => p.locator('#account-dialog');

/** The newest one-time code mailed to `email` (no SMTP in tests: the mail outbox in Redis). */
async function mailedCode(email: string): Promise<string> {
  const redis = rawRedis();
  try {
    const mails = (await redis.lrange('flashsale:mail-outbox', 0, -1)).map((m) => JSON.parse(m) as { to: string; subject: string });
    const mail = mails.find((m) => m.to === email);
    if (!mail) throw new Error(`no mail to ${email} in the outbox`);
    return /\b(\d{6})\b/.exec(mail.subject)![1]!;
  } finally {
    redis.disconnect();
  }
}

/** Another six digits than `code`. */
const wrongCode = (code: string) => code.replace(/\d/g, (d) => String((Number(d) + 1) % 10));

async function enterCode(p: Page, code: string): Promise<void> {
  await dialog(p).getByLabel('6-digit code').fill(code);
  await dialog(p).getByRole('button', { name: 'Verify and continue' }).click();
}

describe('the storefront with accounts (AUTH_MODE=session)', () => {
  it('asks a newcomer to sign in or create an account, and says why when they try to add an item', async () => {
    await page.goto(t.url);
    await waitForText(page, '#sale-status', /Live now/);
    await waitForText(page, '#user-chip-name', /^Sign in$/);
    await waitForText(page, '#who', /Sign in or create an account to start shopping/);
    await waitForText(page, '#how-first', /Create an account or sign in/);
    expect(await page.locator('#user-dialog').isVisible()).toBe(false);

    await card(page, ids[0])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    await dialog(page).waitFor({ state: 'visible' });
    await waitForText(page, '#account-title', /Sign in to shop/);
    expect(await page.getByRole('tab', { name: 'Sign in' }).getAttribute('aria-selected')).toBe('true');
    // Nothing was added: there is nobody to add it for yet.
    expect(await card(page, ids[0]).getAttribute('data-in-checkout')).toBe('false');
  });

  it('creates an account, showing the shop’s own words for a password it refuses', async () => {
    await page.getByRole('tab', { name: 'Create account' }).click();
    await waitForText(page, '#account-title', /Create your account/);
    expect(await page.locator('#account-password-hint').isVisible()).toBe(true);
    await dialog(page).getByLabel('E-mail address').fill(EMAIL);
    await dialog(page).getByLabel('Password', { exact: true }).fill('too short');
    await dialog(page).getByRole('button', { name: 'Create account' }).click();
    await waitForText(page, '#account-password-error', /Password must have at least 10 characters/);
    expect(await dialog(page).getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await dialog(page).getByLabel('Password', { exact: true }).fill(PASSWORD);
    await dialog(page).getByRole('button', { name: 'Create account' }).click();
    // Created and signed in at once: the code step, which says where the code is (no mail server in tests).
    await waitForText(page, '#account-title', /Enter your sign-in code/);
    await waitForText(page, '#code-intro', new RegExp(`Your account is ready!.*${escapeRegExp(EMAIL)}`));
    const where = await waitForText(page, '#code-delivery', /No mail server is set up/);
    expect(where).toContain('npm start');
    expect(where).toContain('npm run cli -- mail:outbox');
    await waitForText(page, '#who', /Almost there: enter the code/);
  });

  it('refuses a wrong code with the attempts left, then takes the right one and adds the item it was asked for', async () => {
    const code = await mailedCode(EMAIL);
    await enterCode(page, wrongCode(code));
    await waitForText(page, '#code-error', /That code isn’t right\. 4 attempts left\./);
    expect(await dialog(page).getByLabel('6-digit code').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: outputPath('storefront-signin.png') });

    await enterCode(page, code);
    await dialog(page).waitFor({ state: 'hidden' });
    await waitForText(page, '#user-chip-name', new RegExp(`^${escapeRegExp(EMAIL)}$`));
    await waitForText(page, '#who', new RegExp(`Signed in as ${escapeRegExp(EMAIL)}`));
    // The "Add to checkout" that asked for the sign-in goes through by itself.
    await waitForAttr(page, `#grid [data-item-id="${ids[0]}"]`, 'data-in-checkout', 'true');
    await waitForText(page, '#checkout-count', /^1$/);
  });

  it('buys with the session cookie and no user_id, for the signed-in account', async () => {
    await page.getByRole('button', { name: 'Buy now' }).click();
    const message = await waitForText(page, '#feedback [data-outcome="bought"]', /You bought it!/);
    expect(message).toContain(names.get(ids[0])!);
    await waitForAttr(page, `#grid [data-item-id="${ids[0]}"]`, 'data-sold', 'true');

    expect(buying.map((b) => new URL(b.url).pathname)).toEqual(['/checkout', '/purchase']);
    for (const b of buying) {
      expect(new URL(b.url).searchParams.has('user_id')).toBe(false);
      expect(b.headers.authorization).toBeUndefined();
      expect(b.headers.cookie).toMatch(/flashsale_session=/);
    }
    // The order belongs to the account.
    const me = await inPage<{ mode: string; userId: string; verified: boolean }>(page, "fetch('/auth/me').then((r) => r.json())");
    expect(me).toMatchObject({ mode: 'session', verified: true });
    const owners = await eventually(
      () => withPg(async (pg) => (await pg.query('SELECT user_id FROM orders WHERE sale_id = $1', [sale.id])).rows.map((r) => r.user_id)),
      (rows) => rows.length > 0,
    );
    expect(owners).toEqual([me.userId]);
    await inPage(page, 'window.scrollTo(0, 0)');
    await untilInPage(page, "document.getElementById('toasts').children.length === 0", 12_000);
    await page.screenshot({ path: outputPath('storefront-session.png') });
  });

  it('is still signed in after a reload (an HTTP-only cookie the page’s scripts cannot read)', async () => {
    await page.reload();
    await waitForText(page, '#sale-status', /Live now/);
    await waitForText(page, '#user-chip-name', new RegExp(`^${escapeRegExp(EMAIL)}$`));
    await waitForText(page, '#who', /Signed in as/);
    const cookie = (await desktop.cookies(t.url)).find((c) => c.name === 'flashsale_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await inPage<string>(page, 'document.cookie')).not.toContain('flashsale_session');
  });

  it('still says the per-person limit, in words', async () => {
    await card(page, ids[1])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    await waitForAttr(page, `#grid [data-item-id="${ids[1]}"]`, 'data-in-checkout', 'true');
    // One bought and one in the checkout: a third is over the limit of 2.
    await card(page, ids[2])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    const toast = await waitForText(page, '#toasts .notice[data-kind="bad"]', /reached your limit/);
    expect(toast).toContain('at most 2 items per person');
    expect(await card(page, ids[2]).getAttribute('data-in-checkout')).toBe('false');
    await waitForText(page, '#checkout-count', /^1$/);
  });

  it('asks to sign in again when the session has expired, then finishes the purchase', async () => {
    const token = (await desktop.cookies(t.url)).find((c) => c.name === 'flashsale_session')!.value;
    const redis = rawRedis();
    try {
      expect(await redis.del(`flashsale:session:${createHash('sha256').update(decodeURIComponent(token)).digest('base64url')}`)).toBe(1);
    } finally {
      redis.disconnect();
    }

    await page.getByRole('button', { name: 'Buy now' }).click();
    await dialog(page).waitFor({ state: 'visible' });
    await waitForText(page, '#credentials-message', /Your session has expired/);
    await waitForText(page, '#feedback', /Please sign in again to buy/);
    expect(await page.getByRole('tab', { name: 'Sign in' }).getAttribute('aria-selected')).toBe('true');
    expect(await dialog(page).getByLabel('E-mail address').inputValue()).toBe(EMAIL);

    await dialog(page).getByLabel('Password', { exact: true }).fill('not my password');
    await dialog(page).getByRole('button', { name: 'Sign in' }).click();
    await waitForText(page, '#account-password-error', /Wrong e-mail address or password/);

    await dialog(page).getByLabel('Password', { exact: true }).fill(PASSWORD);
    await dialog(page).getByRole('button', { name: 'Sign in' }).click();
    await waitForText(page, '#account-title', /Enter your sign-in code/);
    await enterCode(page, await mailedCode(EMAIL));
    await dialog(page).waitFor({ state: 'hidden' });
    // The checkout was kept and "Buy now" goes through once signed in.
    const message = await waitForText(page, '#feedback [data-outcome="bought"]', /You bought it!/);
    expect(message).toContain(names.get(ids[1])!);
  });

  it('signs out: the session ends on the server and nothing of the account stays in the page', async () => {
    await page.locator('#who').getByRole('button', { name: 'Sign out' }).click();
    await waitForText(page, '#toasts', /You’re signed out/);
    await waitForText(page, '#user-chip-name', /^Sign in$/);
    await waitForText(page, '#who', /Sign in or create an account/);
    // The cookie is gone: the shop sees nobody (and answers who-am-I without a 401).
    const me = await inPage<{ userId: string | null }>(page, "fetch('/auth/me').then((r) => r.json())");
    expect(me.userId).toBeNull();
    expect(await inPage(page, "localStorage.getItem('flashsale.account')")).toBeNull();
    await inPage(page, 'window.scrollTo(0, 0)');
  });

  it('fits a 360 px phone in dark mode, sign-in dialog included', async () => {
    const phone = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    try {
      const p = await phone.newPage();
      await p.goto(t.url);
      await waitForText(p, '#user-chip-name', /^Sign in$/);
      await p.locator('#user-chip').click();
      await dialog(p).waitFor({ state: 'visible' });
      await p.getByRole('tab', { name: 'Create account' }).click();
      const overflow = await inPage<number>(p, 'document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      const box = await dialog(p).boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(360);
      await p.screenshot({ path: outputPath('storefront-signin-mobile.png') });
    } finally {
      await phone.close();
    }
  });
});

describe('the storefront with accounts, under rate limits', () => {
  let limited: TestApp;

  beforeAll(async () => {
    // Three auth requests a minute per address: the page's GET /auth/me and two sign-in attempts.
    limited = await startTestApp({ AUTH_MODE: 'session', RATE_LIMIT: 'on', RATE_LIMIT_AUTH_IP: '3/1m' });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('tells a buyer who tries too often to slow down, with how long to wait', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p = await context.newPage();
      await p.goto(limited.url);
      await waitForText(p, '#user-chip-name', /^Sign in$/);
      await p.locator('#user-chip').click();
      await dialog(p).getByLabel('E-mail address').fill(EMAIL);
      // Three tries are allowed (RATE_LIMIT_AUTH_IP=3/1m; reading /auth/me is not one of them): the fourth is refused.
      for (let i = 0; i < 3; i++) {
        await dialog(p).getByLabel('Password', { exact: true }).fill(`wrong password ${i}`);
        await dialog(p).getByRole('button', { name: 'Sign in' }).click();
        await waitForText(p, '#account-password-error', /Wrong e-mail address or password/);
      }
      await dialog(p).getByLabel('Password', { exact: true }).fill(PASSWORD);
      await dialog(p).getByRole('button', { name: 'Sign in' }).click();
      const text = await waitForText(p, '#credentials-message', /Too many attempts/);
      expect(text).toMatch(/Please slow down and try again in \d+ seconds?\./);
      // Sending again before then would only be refused again: the button stays off until then.
      await untilInPage(p, "document.getElementById('credentials-submit').disabled === true", 2000);
    } finally {
      await context.close();
    }
  });
});
