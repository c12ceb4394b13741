import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { XSS_PAYLOADS } from '../libs/contract/test/xss-payloads.js';
import { launchChromium } from '../testing/browser.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { JWT_SCHEMA_V1, JWT_SCHEMA_V2, manifestYaml, publishWithParts, README, V1_EXAMPLES, V2_EXAMPLES } from './contract-fixtures.js';
import { settledVersion } from './support.js';

/**
 * A version's contract on its page, in Chromium: a README made of XSS payloads
 * runs nothing and loads nothing; the configuration form works with and
 * without JavaScript, shows errors beside their fields and builds the Envoy
 * and Istio configuration; the upgrade notes say what breaks.
 */

/** One version per payload (an HTML block such as an open comment would swallow whatever follows it in one README). */
const payloadVersion = (index: number): string => `1.0.${index}`;

describe('a version\'s contract in Chromium', () => {
  let registry: RunningRegistry;
  let browser: Browser;
  const dialogs: string[] = [];
  const foreignRequests: string[] = [];
  const cspViolations: string[] = [];

  async function context(javaScriptEnabled: boolean): Promise<BrowserContext> {
    const created = await browser.newContext({ javaScriptEnabled });
    created.setDefaultTimeout(5_000);
    const origin = new URL(registry.url).origin;
    created.on('page', (page) => watch(page, origin));
    if (javaScriptEnabled) {
      await created.exposeBinding('reportCspViolation', ({ page }, text: string) => void cspViolations.push(`${page.url()}: ${text}`));
      await created.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`);
        });
      });
    }
    return created;
  }

  function watch(page: Page, origin: string): void {
    page.on('dialog', (dialog) => {
      dialogs.push(`${page.url()}: ${dialog.type()} ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('about:')) foreignRequests.push(url);
    });
  }

  async function open(browserContext: BrowserContext, path: string): Promise<Page> {
    const page = await browserContext.newPage();
    const response = await page.goto(`${registry.url}${path}`);
    expect(response?.status(), path).toBe(200);
    return page;
  }

  beforeAll(async () => {
    const [started, launched] = await Promise.all([startRegistry(), launchChromium()]);
    registry = started;
    browser = launched;
    const modules = await Promise.all(['w1', 'w2', 'w3'].map((tag) => proxyWasmFilter(tag)));
    const publish = async (plugin: string, version: string, module: Buffer, parts: Record<string, { filename: string; text: string }>) => {
      const answer = await publishWithParts(registry.url, registry.adminToken, { namespace: 'acme', plugin, version }, module, parts);
      expect(answer.status, answer.text).toBe(202);
      expect((await settledVersion(registry.url, 'acme', plugin, version)).status).toBe('ready');
    };
    await publish('jwt-auth', '1.0.0', modules[0]!, {
      manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml('1.0.0', JWT_SCHEMA_V1, V1_EXAMPLES) },
      readme: { filename: 'README.md', text: README },
    });
    await publish('jwt-auth', '2.0.0', modules[1]!, {
      manifest: { filename: 'wasm-plugin.yaml', text: manifestYaml('2.0.0', JWT_SCHEMA_V2, V2_EXAMPLES) },
      readme: { filename: 'README.md', text: README },
    });
    // The README is on the page from the publish on: the pipeline need not finish for these.
    for (const [index, payload] of XSS_PAYLOADS.entries()) {
      const module = await proxyWasmFilter(`xss-${index}`);
      const answer = await publishWithParts(registry.url, registry.adminToken, { namespace: 'acme', plugin: 'hostile-readme', version: payloadVersion(index) }, module, {
        readme: { filename: 'README.md', text: `# ${payload.name}\n\n${payload.markdown}\n` },
      });
      expect(answer.status, `${payload.name}: ${answer.text}`).toBe(202);
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await registry?.stop();
  });

  it(`renders ${XSS_PAYLOADS.length} READMEs of XSS payloads without running or loading anything`, async () => {
    expect(XSS_PAYLOADS.length).toBeGreaterThanOrEqual(40);
    const browserContext = await context(true);
    const page = await browserContext.newPage();
    try {
      for (const [index, payload] of XSS_PAYLOADS.entries()) {
        const response = await page.goto(`${registry.url}/plugins/acme/hostile-readme/${payloadVersion(index)}`);
        expect(response?.status(), payload.name).toBe(200);
        // Give autofocus, toggles and refreshes a moment to fire.
        await page.locator('#readme').hover();
        await page.waitForTimeout(50);
        const found = await page.locator('#readme .readme').evaluate((root) => {
          const elements = [...root.querySelectorAll('*')];
          return {
            tags: [...new Set(elements.map((e) => e.tagName.toLowerCase()))],
            handlers: elements.flatMap((e) => [...e.attributes].filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => `${e.tagName} ${a.name}`)),
            links: elements.flatMap((e) => ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data'].map((name) => e.getAttribute(name)).filter((v): v is string => v !== null)),
            ids: elements.map((e) => e.id).filter((id) => id !== ''),
          };
        });
        for (const tag of ['script', 'style', 'iframe', 'object', 'embed', 'form', 'input', 'img', 'svg', 'math', 'base', 'meta', 'link']) expect(found.tags, payload.name).not.toContain(tag);
        expect(found.handlers, payload.name).toEqual([]);
        for (const link of found.links) expect(link, payload.name).toMatch(/^(https?:|mailto:|#readme-)/i);
        for (const id of found.ids) expect(id, payload.name).toMatch(/^readme-/);
        // The whole document: only the registry's own script is there.
        expect(await page.locator('script').evaluateAll((scripts) => scripts.map((s) => (s as HTMLScriptElement).src)), payload.name).toEqual([
          expect.stringMatching(/\/assets\/site\.[0-9a-f]+\.js$/),
        ]);
      }
      expect(dialogs).toEqual([]);
      expect(foreignRequests).toEqual([]);
      expect(cspViolations).toEqual([]);
    } finally {
      await browserContext.close();
    }
  }, 120_000);

  for (const javaScriptEnabled of [false, true]) {
    it(`fills, checks and builds a configuration from the form ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, async () => {
      const browserContext = await context(javaScriptEnabled);
      try {
        const page = await open(browserContext, '/plugins/acme/jwt-auth/1.0.0?example=strict');
        const field = (pointer: string) => page.locator(`#configure form [name="${pointer}"]`);
        // Pre-filled from the example asked for.
        expect(await field('/issuer').inputValue()).toBe('https://issuer.example');
        expect(await field('/clock_skew_seconds').inputValue()).toBe('120');
        expect(await field('/rules/0/path').inputValue()).toBe('/health');

        await field('/clock_skew_seconds').fill('900');
        await field('/issuer').fill('');
        await Promise.all([page.waitForURL(/\/configure/), page.locator('#configure form button[type="submit"]').click()]);
        const notice = page.locator('#configure .notice.bad');
        expect(await notice.textContent()).toContain('breaks the schema');
        // Each error beside its field: the field says which message describes it.
        for (const [pointer, text] of [['/clock_skew_seconds', '300'], ['/issuer', 'required']] as const) {
          const described = await field(pointer).getAttribute('aria-describedby');
          expect(described, pointer).toBeTruthy();
          const descriptions = await Promise.all(described!.split(/\s+/).map((id) => page.locator(`[id="${id}"]`).textContent()));
          expect(descriptions.join(' '), pointer).toContain(text);
        }
        // What was submitted stays in the form.
        expect(await field('/clock_skew_seconds').inputValue()).toBe('900');

        await field('/clock_skew_seconds').fill('30');
        await field('/issuer').fill('https://login.example');
        await Promise.all([page.waitForLoadState('load'), page.locator('#configure form button[type="submit"]').click()]);
        await page.locator('#configured-envoy').waitFor();
        expect(await page.locator('#configure .notice.bad').count()).toBe(0);
        const envoy = (await page.locator('#configured-envoy').textContent())!;
        const wasm = (parse(envoy) as { http_filters: { typed_config: { config: { configuration: { '@type': string; value: string } } } }[] }).http_filters[0]!.typed_config.config;
        expect(wasm.configuration['@type']).toBe('type.googleapis.com/google.protobuf.StringValue');
        expect(JSON.parse(wasm.configuration.value)).toMatchObject({ issuer: 'https://login.example', clock_skew_seconds: 30, rules: [{ path: '/health', allow_anonymous: true }] });
        const istio = (await page.locator('#configured-istio').textContent())!;
        expect(istio).toMatch(/pluginConfig:\n\s+issuer: https:\/\/login\.example/);
        expect(istio).toContain('phase: AUTHN');
        expect(await page.locator('button[data-copy="configured-envoy"]').isVisible()).toBe(javaScriptEnabled);
        expect(dialogs).toEqual([]);
      } finally {
        await browserContext.close();
      }
    });
  }

  it('shows the examples, the schema (collapsed) and the upgrade notes with what breaks', async () => {
    const browserContext = await context(false);
    try {
      const page = await open(browserContext, '/plugins/acme/jwt-auth/2.0.0');
      expect(await page.locator('#readme table').count()).toBe(1);
      expect(await page.locator('#configure details.schema').getAttribute('open')).toBeNull();
      expect(JSON.parse((await page.locator('#config-schema').textContent())!)).toEqual(JWT_SCHEMA_V2);
      expect(await page.locator('#configure ul.examples > li strong').allTextContents()).toEqual(['basic']);
      const notes = page.locator('#upgrade-notes');
      expect(await notes.locator('h2').textContent()).toBe('Upgrade notes from 1.0.0');
      const items = await notes.locator('li').allTextContents();
      expect(items.some((text) => /breaking/.test(text) && text.includes('/audiences'))).toBe(true);
      expect(items.some((text) => /breaking/.test(text) && text.includes('"basic"') === false && text.includes('/header'))).toBe(true);
    } finally {
      await browserContext.close();
    }
  });
});
