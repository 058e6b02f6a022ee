import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { portalCustomer, portalLink } from './support/portal';
import { TestApp, createTestApp } from './support/test-app';

/** Debian's chromium package (`apt-get install chromium`; .ci/run installs it when absent). */
const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (git-ignored); docs/portal.png is one of them, committed for the README. */
const OUTPUT = join(__dirname, '..', 'test-output', 'portal');

/** "$1,234.50" → "1234.50": the figure as the API writes it. */
const decimal = (text: string) => text.replace(/[^0-9.-]/g, '');
const integer = (text: string) => Number(text.replace(/[^0-9]/g, ''));

describe('customer portal in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let a: Awaited<ReturnType<typeof portalCustomer>>;
  let path: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: sudo apt-get install -y --no-install-recommends chromium (.ci/run does this)`);
    }
    mkdirSync(OUTPUT, { recursive: true });
    t = await createTestApp();
    a = await portalCustomer(t.baseUrl, 'Northwind Traders');
    await portalCustomer(t.baseUrl, 'Someone Else');
    ({ path } = await portalLink(t.baseUrl, a.externalId, { returnUrl: 'https://app.example.com/settings/billing' }));
    // The sandbox needs user namespaces a container's root rarely has; only root goes without it.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens the page in a fresh context, recording every request it makes. */
  async function open(options: Parameters<Browser['newContext']>[0]): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const response = await page.goto(`${t.baseUrl}${path}`, { waitUntil: 'load' });
    expect(response!.status()).toBe(200);
    return { page, requests };
  }

  it('shows the same used and limit as GET /v1/subscriptions/:id/usage, with bars as wide as the used share', async () => {
    const { page, requests } = await open({ viewport: { width: 1280, height: 900 } });
    for (const s of a.subscriptions) {
      const api = (await t.http().get(`/v1/subscriptions/${s.subscriptionId}/entitlements`).expect(200)).body;
      const section = page.locator(`section[data-subscription="${s.subscriptionId}"]`);
      await expect(section.locator('h2').textContent()).resolves.toBeTruthy();
      for (const feature of api.features) {
        const row = section.locator(`table.usage tr[data-feature="${feature.feature}"]`);
        expect(integer(await row.locator('td.used').innerText())).toBe(feature.used);
        const limitText = await row.locator('td.limit').innerText();
        expect(feature.limit === null ? limitText : integer(limitText)).toBe(feature.limit === null ? 'Unlimited' : feature.limit);
        if (feature.limit === null) {
          expect(await row.locator('svg.bar').count()).toBe(0);
          continue;
        }
        const track = await row.locator('svg.bar rect.track').boundingBox();
        const fill = await row.locator('svg.bar rect.fill').boundingBox();
        const fraction = Math.min(1, feature.used / feature.limit);
        expect(Math.abs(fill!.width / track!.width - fraction)).toBeLessThan(0.01);
        // The text alternative says the same share.
        expect(await row.locator('svg.bar').getAttribute('aria-label')).toContain(`${Math.round(fraction * 1000) / 10}%`);
        const state = fraction >= 1 ? 'state-full' : fraction >= 0.8 ? 'state-warn' : 'state-ok';
        expect(await row.getAttribute('class')).toBe(state);
      }
    }
    // The features of the fixture hit each look: near the limit, at it, unlimited.
    const first = page.locator(`section[data-subscription="${a.subscriptions[0].subscriptionId}"]`);
    expect(await first.locator('tr.state-warn .state').innerText()).toBe('Nearing the limit');
    expect(await first.locator('tr.state-full .state').innerText()).toBe('Limit reached');
    await page.screenshot({ path: join(OUTPUT, 'portal-1280.png'), fullPage: true });
    const origin = new URL(t.baseUrl).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    await page.context().close();
  });

  it('shows the upcoming invoice as GET /v1/subscriptions/:id/upcoming-invoice prices it, and a daily chart that adds up to the usage', async () => {
    const { page } = await open({ viewport: { width: 1280, height: 900 } });
    for (const s of a.subscriptions) {
      const api = (await t.http().get(`/v1/subscriptions/${s.subscriptionId}/upcoming-invoice`).expect(200)).body;
      const usage = (await t.http().get(`/v1/subscriptions/${s.subscriptionId}/entitlements`).expect(200)).body;
      const table = page.locator(`section[data-subscription="${s.subscriptionId}"] table.upcoming`);
      expect(decimal(await table.locator('td.total').innerText())).toBe(api.total);
      expect(await table.locator('td.total').innerText()).toMatch(/^\$[\d,]+\.\d\d$/);
      const rows = table.locator('tbody tr');
      expect(await rows.count()).toBe(api.lines.length);
      for (const [i, line] of api.lines.entries()) {
        const row = rows.nth(i);
        expect(await row.getAttribute('data-line')).toBe(line.type);
        expect(decimal(await row.locator('td.amount').innerText())).toBe(line.amount);
        if (line.type === 'usage') {
          expect(await row.getAttribute('data-feature')).toBe(line.feature);
          expect(integer(await row.locator('td.quantity').innerText())).toBe(line.quantity);
        }
      }
      for (const feature of usage.features) {
        const figure = page.locator(`section[data-subscription="${s.subscriptionId}"] figure[data-feature="${feature.feature}"]`);
        // textContent: the table is inside a closed <details>, not rendered, still in the page.
        const cells = await figure.locator('table.daily-figures tbody td').allTextContents();
        expect(cells.reduce((sum, text) => sum + integer(text), 0)).toBe(feature.used);
        expect(await figure.locator('svg.chart').getAttribute('role')).toBe('img');
        expect(await figure.locator('figcaption').innerText()).toContain(`${feature.used.toLocaleString('en-US')} in total`);
      }
    }
    await page.context().close();
  });

  it('reads at 375 px wide, with JavaScript off and in dark mode, without a horizontal scroll', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, requests } = await open({ viewport: { width: 375, height: 812 }, javaScriptEnabled: false, colorScheme });
      const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
      expect(scrollWidth).toBeLessThanOrEqual(375);
      expect(await page.locator('h1').innerText()).toBe('Usage and billing');
      expect(await page.locator('h2').count()).toBe(a.subscriptions.length + 1);
      await page.screenshot({ path: join(OUTPUT, `portal-375-${colorScheme}.png`), fullPage: true });
      expect(requests.filter((url) => new URL(url).origin !== new URL(t.baseUrl).origin)).toEqual([]);
      await page.context().close();
    }
  });

  it('shows a revoked link as expired (401), and never a figure', async () => {
    const other = await portalLink(t.baseUrl, a.externalId);
    await t.http().delete(`/v1/customers/${a.externalId}/portal-sessions`).expect(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${t.baseUrl}${other.path}`);
    expect(response!.status()).toBe(401);
    expect(await page.locator('h1').innerText()).toBe('This link has expired');
    expect(await page.locator('table').count()).toBe(0);
    await context.close();
  });
});
