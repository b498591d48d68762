import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Sale } from '../../src/domain/sale/sale.entity';
import { buy, call, inPage, launchBrowser, outputPath, untilInPage, collectPolicyRefusals } from '../support/browser';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * The storefront at / in a real Chromium, against the real app: two buyers in two browser contexts (one on
 * a desktop, one at phone width). A purchase on one page shows as sold on the other without a reload (the
 * sale's event stream); every refusal gets its own words.
 */

jest.setTimeout(120_000);

const TOKEN = 'test-admin-token';

let t: TestApp;
let browser: Browser;
let desktop: BrowserContext;
let phone: BrowserContext;
let alice: Page;
let bob: Page;
let sale: Sale;
let ids: number[];
let names: Map<number, string>;
/** What the browser refused under the pages' Content-Security-Policy, on alice's and bob's pages. */
const policyViolations: string[] = [];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ ADMIN_TOKEN: TOKEN });
  sale = await createOpenSale(t, { itemsTotal: 130, perUserLimit: 1 });
  ids = await itemIdsOf(t, sale);
  const page = await call(t.url, 'GET', `/sales/${sale.id}/items?limit=1000`);
  names = new Map(page.body.items.map((i: { id: number; name: string }) => [i.id, i.name]));
  browser = await launchBrowser();
  desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  phone = await browser.newContext({
    viewport: { width: 360, height: 780 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: 'dark',
  });
  alice = await desktop.newPage();
  bob = await phone.newPage();
  for (const page of [alice, bob]) collectPolicyRefusals(page, policyViolations);
  alice.setDefaultTimeout(15_000);
  bob.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await t?.close();
});

const card = (page: Page, id: number) => page.locator(`#grid [data-item-id="${id}"]`);

async function waitForText(page: Page, selector: string, expected: RegExp, timeout = 15_000): Promise<string> {
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

async function waitForAttr(page: Page, selector: string, attr: string, value: string, timeout = 15_000): Promise<void> {
  const [s, a, v] = [selector, attr, value].map((x) => JSON.stringify(x));
  await untilInPage(page, `document.querySelector(${s})?.getAttribute(${a}) === ${v}`, timeout);
}

/** Choose the user name in the dialog that the first "Add to checkout" opens. */
async function chooseUser(page: Page, user: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Who’s shopping?' });
  await dialog.waitFor({ state: 'visible' });
  const input = dialog.getByLabel('User name');
  // A name the API would refuse is refused here, before anything is sent.
  await input.fill('not valid!');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await waitForText(page, '#user-error', /letters, digits/);
  expect(await dialog.isVisible()).toBe(true);
  await input.fill(user);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

describe('the storefront (/)', () => {
  it('welcomes a newcomer with the open sale, a countdown and the first page of items', async () => {
    await Promise.all([alice.goto(t.url), bob.goto(t.url)]);
    for (const page of [alice, bob]) {
      await waitForText(page, '#tagline', /a new sale of thousands of one-of-a-kind items every hour/);
      await waitForText(page, '#sale-status', /Live now/);
      await waitForText(page, '#countdown-label', /ends in/);
      await waitForText(page, '#countdown', /^\s*(59|60|0:59):\d\d/);
      await waitForText(page, '#items-count', /Showing 100 of 130 items/);
      expect(await page.locator('#grid .item').count()).toBe(100);
      await waitForText(page, '#live-state', /Live updates on/);
    }
    await waitForText(alice, '#progress-text', /0 sold · 130 left/);
    expect(await card(alice, ids[0]).locator('.item-name').textContent()).toBe(names.get(ids[0])!.replace(/\s*#\d+$/, ''));

    // "Load more" pages through the rest: no 10,000 nodes at once.
    await alice.getByRole('button', { name: /Show 30 more items/ }).click();
    await waitForText(alice, '#items-count', /Showing 130 of 130 items/);
    expect(await alice.locator('#grid .item').count()).toBe(130);
    expect(await alice.locator('#load-more').isVisible()).toBe(false);
  });

  it('fits a 360 px phone without sideways scrolling', async () => {
    const overflow = await inPage<number>(bob, 'document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const columns = await inPage<number>(bob, "getComputedStyle(document.getElementById('grid')).gridTemplateColumns.split(' ').length");
    expect(columns).toBe(2);
  });

  it('buys an item (name, checkout, buy, success) and the other page marks it sold without reloading', async () => {
    await inPage(bob, "window.marker = 'same page'");
    expect(await card(bob, ids[0]).getAttribute('data-sold')).toBe('false');

    await card(alice, ids[0])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    await chooseUser(alice, 'alice');
    await waitForText(alice, '#user-chip-name', /^alice$/);
    await waitForAttr(alice, `#grid [data-item-id="${ids[0]}"]`, 'data-in-checkout', 'true');
    await waitForText(alice, '#checkout-list', new RegExp(escape(names.get(ids[0])!)));
    await waitForText(alice, '#checkout-count', /^1$/);
    expect(await inPage(alice, "localStorage.getItem('flashsale.user')")).toBe('alice');

    await alice.getByRole('button', { name: 'Buy now' }).click();
    const message = await waitForText(alice, '#feedback [data-outcome="bought"]', /You bought it!/);
    expect(message).toContain(names.get(ids[0])!);
    expect(message).toMatch(/Order \S+/);
    await waitForText(alice, '#checkout-count', /^0$/);
    await waitForAttr(alice, `#grid [data-item-id="${ids[0]}"]`, 'data-sold', 'true');

    // The second page hears it from the event stream.
    await waitForAttr(bob, `#grid [data-item-id="${ids[0]}"]`, 'data-sold', 'true', 10_000);
    expect(await card(bob, ids[0]).getByRole('button').textContent()).toBe('Sold out');
    expect(await card(bob, ids[0]).getByRole('button').isDisabled()).toBe(true);
    await waitForText(bob, '#progress-text', /1 sold · 129 left/);
    expect(await inPage(bob, 'window.marker')).toBe('same page');

    await inPage(alice, 'window.scrollTo(0, 0)');
    await untilInPage(alice, "document.getElementById('toasts').children.length === 0", 12_000);
    await alice.screenshot({ path: outputPath('storefront.png') });
  });

  it('says the limit when a buyer with a limit of 1 tries a second item', async () => {
    await card(alice, ids[1])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    const toast = await waitForText(alice, '#toasts .notice[data-kind="bad"]', /reached your limit/);
    expect(toast).toContain('at most 1 item per person');
    expect(await card(alice, ids[1]).getAttribute('data-in-checkout')).toBe('false');
    await waitForText(alice, '#checkout-count', /^0$/);
  });

  it('tells a buyer whose item sold before they pressed "Buy now" that nothing was bought, and why', async () => {
    await card(bob, ids[2])
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    await chooseUser(bob, 'bob');
    await waitForAttr(bob, `#checkout-list [data-item-id="${ids[2]}"]`, 'data-sold', 'false');
    // At phone width the checkout is reached from a bar at the bottom.
    await waitForText(bob, '#mobile-cart', /Checkout · 1 item/);
    expect(await bob.locator('#mobile-cart').isVisible()).toBe(true);

    const other = await buy(t.url, 'carol', [ids[2]]);
    expect(other.body.purchased).toEqual([ids[2]]);
    // The checkout line is marked live, before bob even tries.
    await waitForAttr(bob, `#checkout-list [data-item-id="${ids[2]}"]`, 'data-sold', 'true', 10_000);

    await bob.locator('#mobile-cart').click();
    await bob.getByRole('button', { name: 'Buy now' }).click();
    const message = await waitForText(bob, '#feedback [data-outcome="none"]', /Nothing was bought/);
    expect(message).toContain(`${names.get(ids[2])} — someone else bought it first`);
    await inPage(bob, 'window.scrollTo(0, 0)');
    await untilInPage(bob, "document.getElementById('toasts').children.length === 0", 12_000);
    await bob.screenshot({ path: outputPath('storefront-mobile.png') });
  });

  it('follows a pause and a resume live: adding is off while paused, with the reason', async () => {
    const paused = await call(t.url, 'POST', `/admin/sales/${sale.id}/pause`, { authorization: `Bearer ${TOKEN}` });
    expect(paused.status).toBe(200);
    await waitForText(alice, '#sale-status', /Paused/, 10_000);
    await waitForText(alice, '#sale-message', /paused for a moment/);
    expect(await card(alice, ids[5]).getByRole('button').textContent()).toBe('Sale paused');
    expect(await card(alice, ids[5]).getByRole('button').isDisabled()).toBe(true);

    const resumed = await call(t.url, 'POST', `/admin/sales/${sale.id}/resume`, { authorization: `Bearer ${TOKEN}` });
    expect(resumed.status).toBe(200);
    await waitForText(alice, '#sale-status', /Live now/, 10_000);
    expect(await card(alice, ids[5]).getByRole('button').isEnabled()).toBe(true);
  });

  it('adds nothing while a purchase is on its way: nothing bought unasked, no checkout left behind', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const dave = await context.newPage();
    try {
      await dave.goto(t.url);
      await waitForText(dave, '#sale-status', /Live now/);
      await card(dave, ids[7])
        .getByRole('button', { name: /Add to checkout/ })
        .click();
      await chooseUser(dave, 'dave');
      await waitForText(dave, '#checkout-count', /^1$/);
      // The purchase is held on its way until the second item has been pressed.
      let release = (): void => undefined;
      const held = new Promise<void>((r) => (release = r));
      await dave.route(
        (url) => url.pathname === '/purchase',
        async (route) => {
          await held;
          await route.continue();
        },
      );
      const checkouts: string[] = [];
      dave.on('request', (r) => {
        if (new URL(r.url()).pathname === '/checkout') checkouts.push(r.url());
      });
      await dave.getByRole('button', { name: 'Buy now' }).click();
      await card(dave, ids[8])
        .getByRole('button', { name: /Add to checkout/ })
        .click();
      await waitForText(dave, '#toasts .notice', /Your purchase is going through/);
      expect(checkouts).toEqual([]);
      release();
      const message = await waitForText(dave, '#feedback [data-outcome="bought"]', /You bought it!/);
      expect(message).toContain(names.get(ids[7])!);
      expect(message).not.toContain(names.get(ids[8])!);
      expect(await card(dave, ids[8]).getAttribute('data-in-checkout')).toBe('false');
    } finally {
      await context.close();
    }
  });

  it('serves its pages under a strict Content-Security-Policy, which nothing on them broke', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(policyViolations).toEqual([]);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
