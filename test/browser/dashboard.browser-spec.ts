import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Sale } from '../../src/domain/sale/sale.entity';
import { TcpProxy, buy, call, inPage, launchBrowser, outputPath, untilInPage, collectPolicyRefusals } from '../support/browser';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * The operator dashboard at /admin in a real Chromium, against the real app: sign-in with the admin token,
 * live numbers from /admin/events, pause and resume, and reconnecting after the connection drops (the
 * browser reaches the app through a TCP proxy the test can cut).
 */

jest.setTimeout(120_000);

const TOKEN = 'test-admin-token';
const auth = { authorization: `Bearer ${TOKEN}` };

let t: TestApp;
let proxy: TcpProxy;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let sale: Sale;
let ids: number[];
/** What the browser refused on the dashboard under its Content-Security-Policy. */
const policyRefusals: string[] = [];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ ADMIN_TOKEN: TOKEN });
  sale = await createOpenSale(t, { itemsTotal: 20, perUserLimit: 5 });
  ids = await itemIdsOf(t, sale);
  proxy = await TcpProxy.start(t.url);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1360, height: 1000 }, colorScheme: 'dark' });
  page = await context.newPage();
  collectPolicyRefusals(page, policyRefusals);
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  // The browser first: its open event streams would otherwise hold the server's close.
  await browser?.close().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  await t?.close();
});

const text = (selector: string) => page.locator(selector);

async function expectText(selector: string, expected: string | RegExp, timeout = 15_000): Promise<void> {
  const locator = page.locator(selector);
  await locator.waitFor({ state: 'attached', timeout });
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent()) ?? '';
    if (typeof expected === 'string' ? last.trim() === expected : expected.test(last)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${String(expected)}, still "${last.trim()}" after ${timeout} ms`);
}

describe('the operator dashboard (/admin)', () => {
  it('asks for the admin token and refuses a wrong one', async () => {
    await page.goto(`${proxy.url}/admin`);
    const token = page.getByLabel('Admin token');
    await token.waitFor();
    expect(await token.getAttribute('type')).toBe('password');
    await expect(page.locator('#dashboard').isVisible()).resolves.toBe(false);

    await token.fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText('#login-error', /refused/);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(await inPage(page, "sessionStorage.getItem('flashsale.adminToken')")).toBeNull();
  });

  it('signs in and shows the open sale, live', async () => {
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await expectText('#sale-id', `#${sale.id}`);
    await expectText('#sale-status', 'Running');
    await expectText('#items-sold', '0');
    await expectText('#items-remaining', '20');
    await expectText('#sale-limit', '5');
    await expectText('#conn', 'Live');
    await expectText('#health-redis', 'Up');
    await expectText('#health-postgres', 'Up');
    expect(await inPage(page, "sessionStorage.getItem('flashsale.adminToken')")).toBe(TOKEN);
    // The countdown runs down towards the end of the sale (an hour from the start).
    const countdown = (await text('#sale-countdown').textContent())!.trim();
    expect(countdown).toMatch(/^(0:)?\d{2}:\d{2}$|^\d:\d{2}:\d{2}$/);
  });

  it('follows purchases made through the API: items sold, orders acknowledged and written, refusals', async () => {
    const first = await buy(t.url, 'buyer-a', [ids[0], ids[1]]);
    expect(first.body.purchased).toEqual([ids[0], ids[1]]);
    const second = await buy(t.url, 'buyer-b', [ids[2]]);
    expect(second.body.purchased).toEqual([ids[2]]);
    const refused = await call(t.url, 'POST', `/checkout?user_id=buyer-c&id=${ids[0]}`);
    expect(refused.body.code).toBe('item_sold_out');

    await expectText('#items-sold', '3');
    await expectText('#items-remaining', '17');
    await expectText('#sale-progress-text', '15%');
    await expectText('#acked', '2');
    // The worker writes the orders to PostgreSQL: the dashboard catches up and says it is in sync.
    await expectText('#written', '2', 30_000);
    await expectText('#lag-pill', 'In sync');
    await expectText('#rejections [data-reason="item_sold_out"] .bar-value', '1');
    await expectText('#dead-letters', '0');
  });

  it('looks right in dark and light (screenshots), and the theme toggle is remembered', async () => {
    // Let the sparkline gather a few points first.
    await page.waitForTimeout(2_500);
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBe('dark');
    await page.screenshot({ path: outputPath('dashboard-dark.png'), fullPage: true });

    await page.emulateMedia({ colorScheme: 'light' });
    await untilInPage(page, "document.documentElement.dataset.theme === 'light'");
    const background = await inPage(page, 'getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(244, 245, 249)');
    await page.screenshot({ path: outputPath('dashboard-light.png'), fullPage: true });

    // The toggle overrides the system and is kept in localStorage; choosing the system's theme again
    // goes back to following the system.
    await page.locator('[data-theme-toggle]').click();
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBe('dark');
    expect(await inPage(page, "localStorage.getItem('flashsale.theme')")).toBe('dark');
    await page.locator('[data-theme-toggle]').click();
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBe('light');
    expect(await inPage(page, "localStorage.getItem('flashsale.theme')")).toBeNull();
  });

  it('pauses the sale (checkout then refuses with sale_paused) and resumes it', async () => {
    await page.locator('#pause').click();
    await expectText('#action-result', new RegExp(`Sale #${sale.id} is paused`));
    const paused = await call(t.url, 'GET', `/sales/${sale.id}`);
    expect(paused.body.status).toBe('paused');
    const refused = await call(t.url, 'POST', `/checkout?user_id=buyer-d&id=${ids[3]}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('sale_paused');
    await expectText('#sale-status', 'Paused');
    expect(await page.locator('#pause').isDisabled()).toBe(true);
    expect(await page.locator('#resume').isEnabled()).toBe(true);

    await page.locator('#resume').click();
    await expectText('#action-result', new RegExp(`Sale #${sale.id} is running again`));
    const resumed = await call(t.url, 'GET', `/sales/${sale.id}`);
    expect(resumed.body.status).toBe('active');
    const accepted = await call(t.url, 'POST', `/checkout?user_id=buyer-d&id=${ids[3]}`);
    expect(accepted.status).toBe(200);
    await expectText('#sale-status', 'Running');
    await expectText('#rejections [data-reason="sale_paused"] .bar-value', '1');
  });

  it('shows "reconnecting" when the connection drops and resumes the numbers when it is back', async () => {
    proxy.cut();
    await expectText('#conn', 'Reconnecting…', 10_000);
    expect(await page.locator('#conn-banner').isVisible()).toBe(true);
    // Sold while the dashboard cannot hear the server.
    const during = await buy(t.url, 'buyer-e', [ids[4], ids[5]]);
    expect(during.body.purchased).toHaveLength(2);
    await page.waitForTimeout(1_500);
    await expectText('#items-sold', '3');

    proxy.restore();
    await expectText('#conn', 'Live', 20_000);
    await expectText('#items-sold', '5');
    await expectText('#acked', '3');
    await expectText('#written', '3', 30_000);
    expect(await page.locator('#conn-banner').isVisible()).toBe(false);
  });

  it('shows the token form again when the server refuses the stored token (401)', async () => {
    await inPage(page, "sessionStorage.setItem('flashsale.adminToken', 'stale-token')");
    await page.reload();
    await page.getByLabel('Admin token').waitFor({ state: 'visible' });
    await expectText('#login-error', /refused/);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    // And the admin API itself answers 401 problem+json to it.
    const res = await call(t.url, 'GET', '/admin/dashboard', { authorization: 'Bearer stale-token' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    const ok = await call(t.url, 'GET', '/admin/dashboard', auth);
    expect(ok.status).toBe(200);
  });

  it("broke nothing under the page's Content-Security-Policy", () => {
    expect(policyRefusals).toEqual([]);
  });
});
