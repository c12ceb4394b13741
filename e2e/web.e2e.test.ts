import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, horizontalOverflow, launchChromium, PHONE, screenshot } from '../testing/browser.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { compileWat, proxyWasmFilterWat, rejectedFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion, waitFor, type Json } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A Proxy-Wasm filter declaring `abi`; `tag` changes the bytes. */
function filter(tag: string, abi: '0.2.0' | '0.2.1' = '0.2.1'): Promise<Buffer> {
  return compileWat(proxyWasmFilterWat(tag).replace('proxy_abi_version_0_2_1', `proxy_abi_version_${abi.replaceAll('.', '_')}`), `${tag}.wat`);
}


interface PluginSpec {
  namespace: string;
  name: string;
  description: string;
  keywords: string[];
  categories: string[];
  versions: { version: string; abi?: '0.2.0' | '0.2.1' }[];
}

/** The catalog the pages show. acme/jwt-auth also gets a yanked 0.9.0 and a rejected 1.2.0. */
const CATALOG: PluginSpec[] = [
  {
    namespace: 'acme',
    name: 'jwt-auth',
    description: 'Validates JSON Web Tokens issued by your identity provider.',
    keywords: ['jwt', 'oauth'],
    categories: ['authentication-authorization', 'security'],
    versions: [{ version: '0.9.0' }, { version: '1.0.0' }, { version: '1.1.0' }],
  },
  {
    namespace: 'acme',
    name: 'geo-block',
    description: 'Refuses requests from countries you list.',
    keywords: ['geoip'],
    categories: ['security'],
    versions: [{ version: '0.1.0' }],
  },
  {
    namespace: 'observe',
    name: 'trace-sampler',
    description: 'Samples traces by B3 headers.',
    keywords: ['tracing', 'sampling'],
    categories: ['observability'],
    versions: [{ version: '1.0.0', abi: '0.2.0' }],
  },
  {
    namespace: 'edge',
    name: 'header-rewrite',
    description: 'Adds, removes and renames request headers.',
    keywords: ['headers'],
    categories: ['traffic-management'],
    versions: [{ version: '2.0.0' }],
  },
];

const JWT_DOWNLOADS = { '1.0.0': 3, '1.1.0': 4 };
const YANK_REASON = 'CVE-2026-0001: tokens without exp were accepted';

describe('the web catalog in Chromium', () => {
  let registry: RunningRegistry;
  let browser: Browser;
  let desktop: BrowserContext;
  let base: string;
  /** Content-Security-Policy violations any desktop page reported, as events or console errors. */
  const cspViolations: string[] = [];
  /** Version views from the API, by `ns/name@version`. */
  const views = new Map<string, Json>();
  const view = (id: string): Json => views.get(id)!;

  async function publish(spec: PluginSpec): Promise<void> {
    const metadata = {
      description: spec.description,
      keywords: spec.keywords,
      categories: spec.categories,
      license: 'Apache-2.0',
      homepage: `https://example.com/${spec.name}`,
      repository: `https://github.com/${spec.namespace}/${spec.name}`,
    };
    expect((await api(base, 'PUT', `/api/v1/plugins/${spec.namespace}/${spec.name}`, { token: registry.adminToken, json: metadata })).status).toBeLessThan(300);
    for (const v of spec.versions) {
      const module = await filter(`${spec.namespace}-${spec.name}-${v.version}`, v.abi);
      const path = `/api/v1/plugins/${spec.namespace}/${spec.name}/versions/${v.version}`;
      expect((await api(base, 'PUT', path, { token: registry.adminToken, body: module })).status).toBe(202);
    }
    for (const v of spec.versions) {
      const settled = await settledVersion(base, spec.namespace, spec.name, v.version);
      expect(settled.status).toBe('ready');
      views.set(`${spec.namespace}/${spec.name}@${v.version}`, settled);
    }
  }

  async function download(path: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) expect((await api(base, 'GET', path)).status).toBe(200);
  }

  /** A fresh page of the desktop context at `path`, expecting `status`. */
  async function open(path: string, status = 200, context: BrowserContext = desktop): Promise<Page> {
    const page = await context.newPage();
    const response = await page.goto(`${base}${path}`);
    expect(response?.status(), `GET ${path}`).toBe(status);
    return page;
  }

  async function expectAccessible(page: Page): Promise<void> {
    expect(await accessibilityProblems(page), page.url()).toEqual([]);
  }

  beforeAll(async () => {
    const [started, launched] = await Promise.all([startRegistry({ DOWNLOAD_FLUSH_INTERVAL_MS: '50' }), launchChromium()]);
    registry = started;
    browser = launched;
    base = registry.url;
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Fail in seconds, not after Playwright's 30 s, when an element is missing.
    desktop.setDefaultTimeout(5_000);
    await desktop.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    // Every desktop page reports what its Content-Security-Policy blocked: the event, and Chromium's console error.
    await desktop.exposeBinding('reportCspViolation', ({ page }, text: string) => void cspViolations.push(`${page.url()}: ${text}`));
    await desktop.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sample})`);
      });
    });
    desktop.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(`${message.page()?.url()}: ${message.text()}`);
    });

    for (const ns of ['acme', 'observe', 'edge']) expect((await api(base, 'PUT', `/api/v1/namespaces/${ns}`, { token: registry.adminToken })).status).toBeLessThan(300);
    await Promise.all(CATALOG.map(publish));

    const rejected = await api(base, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.2.0', { token: registry.adminToken, body: await rejectedFilter('jwt-bad') });
    expect(rejected.status).toBe(202);
    expect((await settledVersion(base, 'acme', 'jwt-auth', '1.2.0')).status).toBe('rejected');
    const yank = await api(base, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/0.9.0/yank', { token: registry.adminToken, json: { reason: YANK_REASON } });
    expect(yank.status).toBe(200);

    for (const [version, times] of Object.entries(JWT_DOWNLOADS)) await download(`/api/v1/plugins/acme/jwt-auth/versions/${version}/module.wasm`, times);
    await download('/api/v1/plugins/observe/trace-sampler/versions/1.0.0/module.wasm', 2);
    // Counts are buffered and flushed every 50 ms: wait until the API shows them before any page is asserted on.
    const total = JWT_DOWNLOADS['1.0.0'] + JWT_DOWNLOADS['1.1.0'];
    expect((await waitFor(() => api(base, 'GET', '/api/v1/plugins/acme/jwt-auth'), (r) => r.json.downloads === total)).json.downloads).toBe(total);
    expect((await waitFor(() => api(base, 'GET', '/api/v1/plugins/observe/trace-sampler'), (r) => r.json.downloads === 2)).json.downloads).toBe(2);
    const stats = await api(base, 'GET', '/api/v1/plugins/acme/jwt-auth/stats');
    expect(stats.json.total.series).toHaveLength(30);
    expect(stats.json.total.series.at(-1).downloads).toBe(total);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await registry?.stop();
  });

  describe('home', () => {
    it('has a title and one h1, lists categories with counts and the popular and recent plugins', async () => {
      const page = await open('/');
      await expectAccessible(page);
      expect(await page.title()).toMatch(/Wasm plugin registry/);
      const security = page.locator('li.card', { has: page.locator('a[href="/categories/security"]') });
      await expect.poll(() => security.textContent()).toMatch(/2 plugins/);
      expect(await page.locator('li.card', { has: page.locator('a[href="/categories/observability"]') }).textContent()).toMatch(/1 plugin\b/);

      const popular = await page.locator('section[aria-labelledby="popular"] ul.results > li h3 a').allTextContents();
      expect(popular).toEqual(['acme/jwt-auth', 'observe/trace-sampler']);
      const recent = await page.locator('section[aria-labelledby="recent"] ul.results > li h3 a').allTextContents();
      expect([...recent].sort()).toEqual(CATALOG.map((p) => `${p.namespace}/${p.name}`).sort());
      // Side by side on a desk.
      const [popularBox, recentBox] = await Promise.all(['popular', 'recent'].map((id) => page.locator(`section[aria-labelledby="${id}"]`).boundingBox()));
      expect(Math.abs(popularBox!.y - recentBox!.y)).toBeLessThan(2);

      // The header search is a plain GET form to /search: it works without JavaScript and makes a shareable URL.
      const form = page.locator('header form[role="search"]');
      expect(await form.getAttribute('method')).toBe('get');
      expect(await form.getAttribute('action')).toBe('/search');
      expect(await form.locator('input[type="search"]').getAttribute('name')).toBe('q');
      await screenshot(page, 'home-desktop');
      await page.close();
    });
  });

  describe('search', () => {
    it('searches from the header box into a shareable /search?q= URL, showing version, ABI, downloads and signature', async () => {
      const page = await open('/');
      await page.locator('#site-search').fill('jwt');
      await Promise.all([page.waitForURL('**/search?q=jwt'), page.locator('header form[role="search"] button[type="submit"]').click()]);
      expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/search?q=jwt');
      await expectAccessible(page);
      expect(await page.locator('h1').textContent()).toContain('jwt');
      expect(await page.locator('#site-search').inputValue()).toBe('jwt');

      const result = page.locator('ul.results > li', { has: page.locator('a[href="/plugins/acme/jwt-auth"]') });
      await expect.poll(() => result.count()).toBe(1);
      const text = (await result.textContent())!.replace(/\s+/g, ' ');
      expect(await result.locator('.badge').first().textContent()).toBe('1.1.0');
      expect(text).toContain('ABI 0.2.1');
      expect(text).toContain('7 downloads');
      expect(await result.locator('.badge.ok').textContent()).toBe('signed');
      await screenshot(page, 'search-desktop');

      // The URL is the whole state: opened elsewhere, it shows the same results.
      const shared = await open('/search?q=jwt');
      expect(await shared.locator('ul.results > li h3 a').allTextContents()).toEqual(await page.locator('ul.results > li h3 a').allTextContents());
      await shared.close();
      await page.close();
    });

    it('narrows by a filter from the form, and the URL carries it', async () => {
      const page = await open('/search');
      const all = await page.locator('ul.results > li h3 a').allTextContents();
      expect(all).toHaveLength(CATALOG.length);

      await page.locator('#f-category').selectOption('security');
      await Promise.all([page.waitForURL(/category=security/), page.getByRole('button', { name: 'Apply' }).click()]);
      expect(new URL(page.url()).searchParams.get('category')).toBe('security');
      expect((await page.locator('ul.results > li h3 a').allTextContents()).sort()).toEqual(['acme/geo-block', 'acme/jwt-auth']);
      expect(await page.locator('#f-category').inputValue()).toBe('security');

      await page.locator('#f-category').selectOption('');
      await page.locator('#f-abi').selectOption('0.2.0');
      await Promise.all([page.waitForURL(/abi=0\.2\.0/), page.getByRole('button', { name: 'Apply' }).click()]);
      const url = new URL(page.url());
      expect(url.searchParams.get('abi')).toBe('0.2.0');
      expect(await page.locator('ul.results > li h3 a').allTextContents()).toEqual(['observe/trace-sampler']);
      await page.close();
    });

    it('shows an empty state for a search that finds nothing', async () => {
      const page = await open('/search?q=kafka-connector-nothing');
      await expectAccessible(page);
      expect(await page.locator('ul.results > li').count()).toBe(0);
      const empty = page.locator('.empty');
      expect(await empty.isVisible()).toBe(true);
      expect(await empty.textContent()).toContain('No plugin matches');
      expect(await empty.locator('a[href="/search"]').count()).toBe(1);
      await page.close();
    });

    it('answers a bad filter value with 400 and a notice naming the field', async () => {
      const page = await open('/search?abi=9.9.9', 400);
      await expectAccessible(page);
      const notice = page.locator('[role="alert"]');
      expect(await notice.isVisible()).toBe(true);
      const text = await notice.textContent();
      expect(text).toContain('cannot be used');
      expect(text).toContain('abi');
      expect(text).toContain('0.2.1');
      await screenshot(page, 'search-error-desktop');
      await page.close();
    });
  });

  describe('plugin page', () => {
    it('shows the plugin, its versions with their status, digest and pinned URL', async () => {
      const latest = view('acme/jwt-auth@1.1.0');
      const page = await open('/plugins/acme/jwt-auth');
      await expectAccessible(page);
      expect(await page.locator('h1').textContent()).toBe('acme/jwt-auth');
      expect(await page.title()).toContain('acme/jwt-auth');

      const versions = page.locator('#versions');
      expect(await versions.isVisible()).toBe(true);
      const row = (version: string) => versions.locator(':is(tr, li)', { hasText: new RegExp(`(^|[^\\d.])${version.replaceAll('.', '\\.')}($|[^\\d.])`) }).first();
      expect(await row('1.1.0').textContent()).toMatch(/ready/i);
      expect(await row('1.0.0').textContent()).toMatch(/ready/i);
      expect(await row('1.2.0').textContent()).toMatch(/rejected/i);
      expect(await row('0.9.0').textContent()).toMatch(/yanked/i);

      expect(await page.locator('#digest').isVisible()).toBe(true);
      expect(await page.locator('#digest').textContent()).toContain(latest.digest);
      expect(await page.locator('#pinned-url').isVisible()).toBe(true);
      expect((await page.locator('#pinned-url').textContent())!.trim()).toBe(latest.pinned.url);
      await screenshot(page, 'plugin-desktop');
      await page.close();
    });

    it('copies the pinned URL, which downloads exactly the module with that digest', async () => {
      const latest = view('acme/jwt-auth@1.1.0');
      const page = await open('/plugins/acme/jwt-auth');
      const button = page.locator('button[data-copy="pinned-url"]');
      expect(await button.isVisible()).toBe(true);
      await button.click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(latest.pinned.url);
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      const response = await fetch(copied);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(latest.digest);
      expect(await page.locator('#digest').textContent()).toContain(sha256(bytes));
      await page.close();
    });

    it('shows the Envoy and Istio configuration pinned by sha256, the analysis and a verified signature', async () => {
      const latest = view('acme/jwt-auth@1.1.0');
      const page = await open('/plugins/acme/jwt-auth');
      expect(await page.locator('#envoy-config').textContent()).toContain(latest.pinned.sha256);
      expect(await page.locator('#istio-config').textContent()).toContain(latest.pinned.sha256);
      expect(await page.locator('#analysis').textContent()).toContain('0.2.1');
      expect(await page.locator('#signature-verification').textContent()).toContain('Verified');
      await page.close();
    });

    it('opens the SBOM view, and links the CycloneDX JSON', async () => {
      const page = await open('/plugins/acme/jwt-auth');
      const components = page.locator('#sbom-components');
      expect(await components.isVisible()).toBe(false);
      await page.locator('details#sbom > summary').click();
      await components.waitFor({ state: 'visible', timeout: 5_000 });
      expect(await components.isVisible()).toBe(true);

      const href = await page.locator('#sbom-json').getAttribute('href');
      expect(href).toBeTruthy();
      const response = await fetch(new URL(href!, page.url()));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('json');
      expect(await response.json()).toMatchObject({ bomFormat: 'CycloneDX' });
      await page.close();
    });

    it('draws the download chart: 30 daily bars, today above zero', async () => {
      const page = await open('/plugins/acme/jwt-auth');
      const svg = page.locator('#downloads-chart svg');
      expect(await svg.isVisible()).toBe(true);
      const heights = await page.locator('#downloads-chart svg rect.bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().height));
      expect(heights).toHaveLength(30);
      expect(heights.filter((h) => h > 0).length).toBeGreaterThanOrEqual(1);
      expect(heights.at(-1)).toBeGreaterThan(0);
      await page.close();
    });

    it('shows the version a URL names, a yanked version with its notice, a rejected one with its reason', async () => {
      const page = await open('/plugins/acme/jwt-auth/1.0.0');
      await expectAccessible(page);
      expect(await page.locator('h1').textContent()).toBe('acme/jwt-auth');
      expect(await page.locator('#digest').textContent()).toContain(view('acme/jwt-auth@1.0.0').digest);
      expect(await page.locator('#pinned-url').textContent()).toContain(view('acme/jwt-auth@1.0.0').pinned.url);
      await page.close();

      const yanked = await open('/plugins/acme/jwt-auth/0.9.0');
      await expectAccessible(yanked);
      expect(await yanked.locator('#digest').textContent()).toContain(view('acme/jwt-auth@0.9.0').digest);
      const body = (await yanked.locator('main').textContent())!;
      expect(body).toMatch(/yanked/i);
      expect(body).toContain(YANK_REASON);
      await screenshot(yanked, 'plugin-yanked-desktop');
      await yanked.close();

      const rejected = await open('/plugins/acme/jwt-auth/1.2.0');
      await expectAccessible(rejected);
      const text = (await rejected.locator('main').textContent())!;
      expect(text).toMatch(/rejected/i);
      expect(text).toContain('proxy_made_up');
      await rejected.close();
    });

    it('answers an unknown plugin with a 404 page', async () => {
      const page = await open('/plugins/acme/no-such-plugin', 404);
      await expectAccessible(page);
      expect(await page.title()).toMatch(/\S/);
      expect(await page.locator('h1').textContent()).toMatch(/no such plugin/i);
      expect(await page.locator('main').textContent()).toContain('acme/no-such-plugin');
      await screenshot(page, 'not-found-desktop');
      await page.close();
    });
  });

  describe('categories and publishers', () => {
    it('follows a category link from the home page to the plugins of that category', async () => {
      const page = await open('/');
      await Promise.all([page.waitForURL('**/categories/observability'), page.locator('a[href="/categories/observability"]').first().click()]);
      await expectAccessible(page);
      expect(await page.locator('h1').textContent()).toBe('Observability');
      expect(await page.locator('ul.results > li h3 a').allTextContents()).toEqual(['observe/trace-sampler']);
      await screenshot(page, 'category-desktop');
      await page.close();
    });

    it('follows a category link from a plugin page', async () => {
      const page = await open('/plugins/acme/geo-block');
      await Promise.all([page.waitForURL('**/categories/security'), page.locator('main a[href="/categories/security"]').first().click()]);
      expect((await page.locator('ul.results > li h3 a').allTextContents()).sort()).toEqual(['acme/geo-block', 'acme/jwt-auth']);
      await page.close();
    });

    it("lists a publisher's plugins at /namespaces/{ns}", async () => {
      const page = await open('/namespaces/acme');
      await expectAccessible(page);
      expect(await page.locator('h1').textContent()).toContain('acme');
      expect(await page.locator('ul.results > li h3 a').allTextContents()).toEqual(['acme/geo-block', 'acme/jwt-auth']);
      await screenshot(page, 'namespace-desktop');
      await page.close();
    });
  });

  describe('without JavaScript', () => {
    it('reads the home, search and plugin pages, and filters with the plain form', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      context.setDefaultTimeout(5_000);
      try {
        const home = await open('/', 200, context);
        expect(await home.locator('h1').count()).toBe(1);
        expect(await home.locator('section[aria-labelledby="recent"] a[href="/plugins/acme/jwt-auth"]').count()).toBe(1);

        const search = await open('/search?q=jwt', 200, context);
        expect(await search.locator('ul.results > li h3 a').allTextContents()).toContain('acme/jwt-auth');
        await search.locator('#f-abi').selectOption('0.2.0');
        await search.locator('#f-q').fill('');
        await Promise.all([search.waitForURL(/abi=0\.2\.0/), search.getByRole('button', { name: 'Apply' }).click()]);
        expect(await search.locator('ul.results > li h3 a').allTextContents()).toEqual(['observe/trace-sampler']);

        const plugin = await open('/plugins/acme/jwt-auth', 200, context);
        expect(await plugin.locator('h1').textContent()).toBe('acme/jwt-auth');
        expect((await plugin.locator('#pinned-url').textContent())!.trim()).toBe(view('acme/jwt-auth@1.1.0').pinned.url);
        expect(await plugin.locator('#versions').textContent()).toContain('1.0.0');
        // The copy buttons need the script; without it they stay hidden rather than doing nothing.
        expect(await plugin.locator('button[data-copy]').first().isVisible()).toBe(false);
        // The SBOM view is a <details>: it opens without a script.
        await plugin.locator('details#sbom > summary').click();
        expect(await plugin.locator('#sbom-components').isVisible()).toBe(true);
      } finally {
        await context.close();
      }
    });
  });

  describe('security headers', () => {
    const POLICY = "default-src 'none';script-src 'self';style-src 'self';img-src 'self';form-action 'self';base-uri 'none';frame-ancestors 'none'";

    it('sends the CSP, nosniff, frame and referrer rules on pages, assets, the API, /v2, downloads and errors', async () => {
      const stylesheet = (await (await fetch(`${base}/`)).text()).match(/href="(\/assets\/site\.[0-9a-f]+\.css)"/)![1]!;
      const answers: [string, number, Record<string, string>?][] = [
        ['/', 200],
        ['/search?q=jwt', 200],
        ['/search?q=%00', 400, { accept: 'text/html' }],
        ['/no/such/page', 404, { accept: 'text/html' }],
        [stylesheet, 200],
        ['/api/v1/plugins?q=jwt', 200],
        ['/api/v1/plugins?q=a&q=b', 400],
        ['/api/v1/plugins/acme/no-such-plugin', 404],
        ['/api/v1/plugins/acme/jwt-auth/versions/1.0.0/module.wasm', 200],
        ['/api/openapi.json', 200],
        ['/v2/', 401],
        ['/v2/acme/no-such-plugin/tags/list', 404],
        ['/health/live', 200],
      ];
      for (const [path, status, headers] of answers) {
        const response = await fetch(`${base}${path}`, { headers });
        await response.arrayBuffer();
        expect(response.status, path).toBe(status);
        expect(
          {
            csp: response.headers.get('content-security-policy'),
            nosniff: response.headers.get('x-content-type-options'),
            frames: response.headers.get('x-frame-options'),
            referrer: response.headers.get('referrer-policy'),
          },
          path,
        ).toEqual({ csp: POLICY, nosniff: 'nosniff', frames: 'DENY', referrer: 'no-referrer' });
      }
    });

    it('refuses to be framed by another page', async () => {
      const page = await desktop.newPage();
      await page.setContent(`<iframe src="${base}/plugins/acme/jwt-auth" title="framed"></iframe>`);
      // Chromium says why: the framed page's frame-ancestors 'none'. Nothing of the page is shown.
      await expect.poll(() => cspViolations.some((v) => /frame-ancestors/.test(v))).toBe(true);
      const frame = page.frames().find((f) => f !== page.mainFrame())!;
      expect(await frame.locator('a.brand').count()).toBe(0);
      await page.close();
      // That refusal is the point; the pages themselves are checked below.
      cspViolations.length = 0;
    });

    it('every page and state keeps its Content-Security-Policy: no violation reported, the script and stylesheet apply', async () => {
      // Two more states: a plugin without versions, and a deprecated one.
      expect((await api(base, 'PUT', '/api/v1/plugins/edge/unreleased', { token: registry.adminToken, json: { description: 'Not released yet.' } })).status).toBe(201);
      const deprecated = await api(base, 'PUT', '/api/v1/plugins/edge/header-rewrite/deprecation', { token: registry.adminToken, json: { message: 'Use the built-in header mutation filter.' } });
      expect(deprecated.status).toBe(200);
      const pages: [string, number][] = [
        ['/', 200],
        ['/search?q=jwt', 200],
        ['/search?q=kafka-connector-nothing', 200],
        ['/search?abi=9.9.9', 400],
        ['/search?q=%00', 400],
        ['/search?sort=name&q=a&q=b', 400],
        ['/categories/security', 200],
        ['/categories/no-such-category', 404],
        ['/namespaces/acme', 200],
        ['/namespaces/edge', 200],
        ['/plugins/acme/jwt-auth', 200],
        ['/plugins/acme/jwt-auth/1.0.0', 200],
        ['/plugins/acme/jwt-auth/0.9.0', 200],
        ['/plugins/acme/jwt-auth/1.2.0', 200],
        ['/plugins/acme/jwt-auth/9.9.9', 404],
        ['/plugins/edge/header-rewrite', 200],
        ['/plugins/edge/unreleased', 200],
        ['/plugins/acme/no-such-plugin', 404],
        ['/scan', 200],
        ['/no/such/page', 404],
      ];
      for (const [path, status] of pages) {
        const page = await open(path, status);
        await page.waitForLoadState('load');
        // The stylesheet applied (the search label is hidden by a class, no longer by a style attribute).
        expect(await page.locator('label[for="site-search"]').evaluate((l) => getComputedStyle(l).position), path).toBe('absolute');
        if (path === '/plugins/acme/jwt-auth') {
          await page.locator('details#sbom > summary').click();
          await page.locator('#sbom-components').waitFor({ state: 'visible' });
          // The one script ran: it shows the copy buttons, and one copies.
          const copy = page.locator('button[data-copy="digest"]');
          await copy.click();
          await expect.poll(() => copy.textContent()).toBe('Copied');
        }
        await page.close();
      }
      expect(cspViolations).toEqual([]);

      // The collector hears a violation when there is one: a style attribute is refused and reported.
      const page = await open('/');
      await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p style="color: red">inline</p>'));
      await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
      expect(cspViolations.join('\n')).toMatch(/style-src/);
      await page.close();
    });
  });

  describe('the scan page', () => {
    it('scans pasted or uploaded configuration and shows each module reference with its findings, accessibly', async () => {
      const envoy = (await api(base, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/config/envoy')).text;
      const page = await open('/scan');
      await expectAccessible(page);
      // Upload: the page's script puts the file's text in the form.
      await page.locator('#scan-file').setInputFiles({ name: 'envoy.yaml', mimeType: 'text/yaml', buffer: Buffer.from(envoy) });
      await expect.poll(() => page.locator('#scan-configuration').inputValue()).toBe(envoy);
      await page.locator('input[name=envoy]').fill('1.31');
      await Promise.all([page.waitForURL(`${base}/scan`), page.locator('.scan-form button[type=submit]').click()]);
      await page.waitForLoadState('load');
      expect(await page.locator('#scan-report-heading').textContent()).toBe('1 Wasm module reference');
      const reference = page.locator('li.scan-reference').first();
      expect(await reference.locator('a').first().getAttribute('href')).toBe('/plugins/acme/jwt-auth/1.0.0');
      const findings = await reference.locator('ul > li').allTextContents();
      expect(findings.some((f) => /^ok\s+acme\/jwt-auth@1\.0\.0 \(module sha256:/.test(f))).toBe(true);
      expect(findings.some((f) => /envoy 1\.31 runs it/.test(f))).toBe(true);
      await expectAccessible(page);
      // What was sent comes back in the form, and nothing of it is cached.
      expect(await page.locator('#scan-configuration').inputValue()).toBe(envoy);
      const answer = await api(base, 'POST', '/scan', { body: Buffer.from('configuration=x%3A+1'), contentType: 'application/x-www-form-urlencoded' });
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.text).toContain('No Wasm module was found in what you sent.');
      await page.close();
    });
  });

  describe('on a phone', () => {
    it('renders the home, search and plugin pages without horizontal scrolling', async () => {
      const context = await browser.newContext(PHONE);
      context.setDefaultTimeout(5_000);
      try {
        for (const [path, name] of [
          ['/', 'home-phone'],
          ['/search?q=jwt', 'search-phone'],
          ['/plugins/acme/jwt-auth', 'plugin-phone'],
        ] as const) {
          const page = await open(path, 200, context);
          const overflow = await horizontalOverflow(page);
          expect(overflow.pixels, `${path} is wider than the phone:\n${overflow.culprits.join('\n')}`).toBe(0);
          expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390)).toBe(true);
          if (path === '/') {
            // Side by side on a desk, one above the other on a phone.
            const popular = (await page.locator('section[aria-labelledby="popular"]').boundingBox())!;
            const recent = (await page.locator('section[aria-labelledby="recent"]').boundingBox())!;
            expect(recent.y).toBeGreaterThanOrEqual(popular.y + popular.height);
            expect(popular.width).toBeGreaterThan(300);
          }
          await screenshot(page, name);
          await page.close();
        }
      } finally {
        await context.close();
      }
    });
  });
});
