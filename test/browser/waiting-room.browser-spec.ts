import type { Browser, Page } from 'playwright-core';
import { LineAdminUseCase } from '../../src/application/line/line-admin.use-case';
import { SaleId } from '../../src/domain/sale/sale-id.value-object';
import { call, launchBrowser, outputPath, collectPolicyRefusals } from '../support/browser';
import { TestApp, createOpenSale, itemIdsOf, startTestApp } from '../support/test-app';
import { wipeState } from '../support/test-env';

/*
 * The waiting room's page (/line) in a real Chromium: a buyer sees their place, the people ahead and an ETA,
 * is moved to the sale by themselves when admitted (and can then check out), and a buyer still waiting is
 * told plainly when the line closes.
 */

jest.setTimeout(120_000);

let t: TestApp;
let browser: Browser;
/** What the browser refused on the line page under its Content-Security-Policy. */
const policyRefusals: string[] = [];

beforeAll(async () => {
  await wipeState();
  t = await startTestApp({
    WAITING_ROOM: 'on',
    WAITING_ROOM_SECRET: 'browser-waiting-room-secret-0123456789ab',
    WAITING_ROOM_ADMIT_PER_SECOND: '1',
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await t?.close();
});

async function textOf(page: Page, selector: string, expected: RegExp, timeout = 15_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await page.locator(selector).textContent()) ?? '';
    if (expected.test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${String(expected)}, got "${last}"`);
}

describe('the waiting room page (/line)', () => {
  it('shows the place and ETA, moves the buyer to the sale when admitted, and says when the line closes', async () => {
    const sale = await createOpenSale(t, { itemsTotal: 3, perUserLimit: 1 });
    const [item] = await itemIdsOf(t, sale);
    // Two buyers ahead; one admission a second, so the page waits a moment first.
    for (const u of ['ahead-1', 'ahead-2']) expect((await call(t.url, 'POST', `/sales/${sale.id}/line?user_id=${u}`)).status).toBe(200);

    const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 }, colorScheme: 'light' })).newPage();
    collectPolicyRefusals(page, policyRefusals);
    await page.goto(`${t.url}/line?sale=${sale.id}&user_id=carol`);
    await textOf(page, '#line-position', /^[1-3]$/);
    await textOf(page, '#line-eta', /second|moment/);
    expect(await page.locator('#line-ahead').textContent()).toMatch(/^[0-2]$/);
    await page.screenshot({ path: outputPath('waiting-room.png') });

    // Admitted: the page goes to the storefront, and the admission cookie lets the checkout through.
    await page.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
    const checkout = await page.evaluate(
      (id) => fetch(`/checkout?user_id=carol&id=${id}`, { method: 'POST' }).then((r) => r.status),
      item!,
    );
    expect(checkout).toBe(200);

    // Three units, three admitted: the next buyer waits, and sees the line close.
    const dave = await (await browser.newContext()).newPage();
    await dave.goto(`${t.url}/line?sale=${sale.id}&user_id=dave`);
    await textOf(dave, '#line-position', /^\d+$/);
    await t.app.get(LineAdminUseCase).close(sale.id as SaleId);
    await textOf(dave, '#line-title', /line is closed/, 3_000);
    await dave.screenshot({ path: outputPath('waiting-room-closed.png') });
  });

  it('sends a buyer to the sale page instead of retrying for ever when the line cannot be joined', async () => {
    const page = await (await browser.newContext()).newPage();
    const joins: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/line')) joins.push(r.url());
    });
    // No such sale: 404 sale_not_found, which no retry can change.
    await page.goto(`${t.url}/line?sale=987654&user_id=erin`);
    await page.waitForURL((u) => u.pathname === '/', { timeout: 10_000 });
    expect(joins).toHaveLength(1);
    await page.context().close();
  });

  it('broke nothing on the line page under its Content-Security-Policy', () => {
    expect(policyRefusals).toEqual([]);
  });
});
