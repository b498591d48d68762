import { SignJWT } from 'jose';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { inPage, launchBrowser, waitForAttr, waitForText } from '../support/browser';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * The storefront at / with AUTH_MODE=jwt: the page has no sign-in of its own; it says so, and takes a pasted
 * bearer token for testing (this tab only), which then goes with every checkout and purchase instead of a
 * user_id.
 */

jest.setTimeout(120_000);

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const token = (sub: string) =>
  new SignJWT({ sub, exp: Math.floor(Date.now() / 1000) + 600 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let ids: number[];
const buying: { url: string; headers: Record<string, string> }[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({ AUTH_MODE: 'jwt', JWT_SECRET: SECRET });
  ids = await itemIdsOf(t, await createOpenSale(t, { itemsTotal: 6, perUserLimit: 3 }));
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (req: Request) => {
    if (/\/(checkout|purchase)\?/.test(req.url())) void req.allHeaders().then((headers) => buying.push({ url: req.url(), headers }));
  });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await t?.close();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

const dialog = () => page.locator('#account-dialog');

describe('the storefront with an identity provider (AUTH_MODE=jwt)', () => {
  it('explains that sign-in is the identity provider’s, and refuses a token that is not valid', async () => {
    await page.goto(t.url);
    await waitForText(page, '#sale-status', /Live now/);
    await waitForText(page, '#user-chip-name', /^Sign in$/);
    await waitForText(page, '#how-first', /Sign in with your shop account/);
    await page
      .locator(`#grid [data-item-id="${ids[0]}"]`)
      .getByRole('button', { name: /Add to checkout/ })
      .click();
    await dialog().waitFor({ state: 'visible' });
    expect(await dialog().innerText()).toMatch(/identity provider/);

    await dialog().getByLabel('Bearer token (for testing)').fill('not.a-valid.token');
    await dialog().getByRole('button', { name: 'Use this token' }).click();
    await waitForText(page, '#token-error', /The shop refused this token/);
  });

  it('takes a valid token, adds the item it was asked for and buys with the token and no user_id', async () => {
    await dialog()
      .getByLabel('Bearer token (for testing)')
      .fill(`Bearer ${await token('idp:ada')}`);
    await dialog().getByRole('button', { name: 'Use this token' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await waitForText(page, '#user-chip-name', /^idp:ada$/);
    await waitForAttr(page, `#grid [data-item-id="${ids[0]}"]`, 'data-in-checkout', 'true');
    await page.getByRole('button', { name: 'Buy now' }).click();
    await waitForText(page, '#feedback [data-outcome="bought"]', /You bought it!/);

    expect(buying.map((b) => new URL(b.url).pathname)).toEqual(['/checkout', '/purchase']);
    for (const b of buying) {
      expect(new URL(b.url).searchParams.has('user_id')).toBe(false);
      expect(b.headers.authorization).toMatch(/^Bearer ey/);
    }
  });

  it('keeps the token for this tab across a reload, and forgets it on sign-out', async () => {
    await page.reload();
    await waitForText(page, '#user-chip-name', /^idp:ada$/);
    await page.locator('#who').getByRole('button', { name: 'Sign out' }).click();
    await waitForText(page, '#user-chip-name', /^Sign in$/);
    expect(await inPage(page, "sessionStorage.getItem('flashsale.jwt')")).toBeNull();
  });
});
