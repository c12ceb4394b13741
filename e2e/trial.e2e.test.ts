import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems, launchChromium, screenshot } from '../testing/browser.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { AUTH_GATE_CONFIGURATION, clangAuthGatePlugin } from '../testing/sandbox-plugins.js';
import { compileWat } from '../testing/wasm-fixtures.js';
import { publishWithParts } from './contract-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';
import { loopAtVmStart, trialPlugin } from './trial-plugin.js';

/**
 * Trials end to end on the embedded registry: the pipeline runs each Proxy-Wasm version in the
 * sandbox with its contract's examples and stores the trace; anyone tries a ready version with
 * their own configuration (limited per client and in number at once); the capability diff says
 * what an upgrade adds; the version page shows all three, and its Try it form works without JavaScript.
 */

const RATE_LIMIT = 3;
let registry: RunningRegistry;
let browser: Browser;

const versionPath = (plugin: string, version: string): string => `/api/v1/plugins/acme/${plugin}/versions/${version}`;
/** Each test is its own client (TRUST_PROXY=loopback): the per-client limit counts them apart. */
const from = (address: string) => ({ 'x-forwarded-for': address });
const tryIt = (plugin: string, version: string, body: unknown, address: string) =>
  api(registry.url, 'POST', `${versionPath(plugin, version)}/trial`, { json: body, headers: from(address) });

function manifest(version: string, examples: object[]): string {
  return [
    'manifest: 1',
    `version: ${version}`,
    'description: Marks requests and refuses anonymous logins.',
    'license: Apache-2.0',
    `examples: ${JSON.stringify(examples)}`,
    'host:',
    '  filterType: http',
    '  rootId: trial_root',
    '',
  ].join('\n');
}

async function publish(plugin: string, version: string, module: Buffer, examples: object[] | null): Promise<Json> {
  const parts = examples === null ? {} : { manifest: { filename: 'wasm-plugin.yaml', text: manifest(version, examples) } };
  const published = await publishWithParts(registry.url, registry.adminToken, { namespace: 'acme', plugin, version }, module, parts);
  expect(published.status, published.text).toBe(202);
  return settledVersion(registry.url, 'acme', plugin, version);
}

describe('trials on the embedded registry', () => {
  beforeAll(async () => {
    [registry, browser] = await Promise.all([
      startRegistry({ TRUST_PROXY: 'loopback', OWN_TRIAL_RATE_LIMIT_MAX: String(RATE_LIMIT), OWN_TRIAL_CONCURRENCY: '1', OWN_TRIAL_QUEUE: '0' }),
      launchChromium(),
    ]);
    const [filter, filterWithCall, looping, plain] = await Promise.all([
      trialPlugin(false),
      trialPlugin(true),
      loopAtVmStart(),
      compileWat('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))', 'plain.wat'),
    ]);
    const examples = [{ name: 'default', configuration: { greeting: 'hi' } }];
    expect((await publish('marker', '1.0.0', filter, examples)).status).toBe('ready');
    expect((await publish('marker', '1.1.0', filterWithCall, examples)).status).toBe('ready');
    expect((await publish('looper', '1.0.0', looping, null)).status).toBe('ready');
    expect((await publish('plain', '1.0.0', plain, null)).status).toBe('ready');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await registry?.stop();
  });

  it('runs each version in the sandbox with its examples and stores what it did', async () => {
    const version = (await api(registry.url, 'GET', versionPath('marker', '1.0.0'))).json;
    expect(version.pipeline.map((s: Json) => [s.step, s.state])).toEqual([['analysis', 'done'], ['trial', 'done'], ['sbom', 'done'], ['signature', 'done']]);
    expect(version.trial).toMatchObject({ started: true, configurationsAccepted: 1, configurationsTried: 1, findings: [], medianMicros: expect.any(Number) });
    expect(version.links.trial).toBe(`${registry.url}${versionPath('marker', '1.0.0')}/trial`);

    const stored = await api(registry.url, 'GET', `${versionPath('marker', '1.0.0')}/trial`);
    expect(stored.status).toBe(200);
    const trace = stored.json.trace;
    expect(trace.start).toMatchObject({ linked: true, vmStarted: true, failure: null });
    expect(trace.configurations).toEqual([{ name: 'default', accepted: true, logs: [], failure: null }]);
    expect(trace.requests.map((r: Json) => [r.name, r.outcome, r.request.headers.added, r.localResponse?.status ?? null])).toEqual([
      ['GET /', 'completed', [['x-plugin', 'on']], null],
      ['POST /login', 'local_response', [['x-plugin', 'on']], 401],
      ['GET /api/orders', 'completed', [['x-plugin', 'on']], null],
    ]);
    expect(trace.cost).toMatchObject({ samples: 50, caveat: expect.stringContaining('not in your Envoy') });
    expect(trace.host.caveat).not.toBe('');
  });

  it('keeps a module that loops at start ready, with a trial_start_failed warning, and skips what is not a Proxy-Wasm module', async () => {
    const looper = (await api(registry.url, 'GET', versionPath('looper', '1.0.0'))).json;
    expect(looper).toMatchObject({ status: 'ready', trial: { started: false, findings: ['trial_start_failed'] } });
    const trace = (await api(registry.url, 'GET', `${versionPath('looper', '1.0.0')}/trial`)).json.trace;
    expect(trace.start.failure).toMatchObject({ kind: 'timeout', callback: 'proxy_on_vm_start' });

    const plain = (await api(registry.url, 'GET', versionPath('plain', '1.0.0'))).json;
    expect([plain.trial, plain.pipeline.find((s: Json) => s.step === 'trial').state]).toEqual([null, 'skipped']);
    expectProblem(await api(registry.url, 'GET', `${versionPath('plain', '1.0.0')}/trial`), 404, 'trial_not_run');
    expectProblem(await tryIt('plain', '1.0.0', {}, '198.51.100.1'), 409, 'not_proxy_wasm');
  });

  it('tries your configuration and requests without changing the version', async () => {
    const before = await api(registry.url, 'GET', versionPath('marker', '1.0.0'));
    const good = await tryIt('marker', '1.0.0', { configuration: { greeting: 'hello' }, requests: [{ method: 'POST', path: '/login' }, { path: '/open', headers: { 'x-a': '1' } }] }, '198.51.100.2');
    expect(good.status, good.text).toBe(200);
    expect(good.json.configurations).toEqual([{ name: 'yours', accepted: true, logs: [], failure: null }]);
    expect(good.json.requests.map((r: Json) => [r.name, r.localResponse?.status ?? null])).toEqual([['POST /login', 401], ['GET /open', null]]);
    expect(good.json.cost.samples).toBe(20);

    const bad = await tryIt('marker', '1.0.0', { configurationText: 'greeting: hello' }, '198.51.100.2');
    expect(bad.status).toBe(200);
    expect(bad.json.configurations[0]).toMatchObject({ name: 'yours', accepted: false });
    expect(bad.json.findings.map((f: Json) => f.code)).toEqual(['trial_configuration_refused']);

    const after = await api(registry.url, 'GET', versionPath('marker', '1.0.0'));
    expect(after.json).toEqual(before.json);
    expect((await api(registry.url, 'GET', `${versionPath('marker', '1.0.0')}/trial`)).json.trace.configurations[0].name).toBe('default');
  });

  it('names the field it refuses, and refuses versions it cannot try', async () => {
    const refused = await tryIt('marker', '1.0.0', { requests: [{ method: 'get', path: '/' }], upstreams: { auth: { status: 42 } } }, '198.51.100.3');
    expectProblem(refused, 400, 'invalid_input');
    expect(refused.json.errors.map((e: Json) => e.field)).toEqual(['body.requests[0].method', 'body.upstreams.auth.status']);
    expectProblem(await tryIt('marker', '9.9.9', {}, '198.51.100.3'), 404, 'version_not_found');
  });

  it('limits how often one client tries (429 with Retry-After), and counts clients apart', async () => {
    const answers = [];
    for (let i = 0; i <= RATE_LIMIT; i++) answers.push(await tryIt('marker', '1.0.0', { configuration: {} }, '203.0.113.9'));
    expect(answers.map((a) => a.status)).toEqual([...Array(RATE_LIMIT).fill(200), 429]);
    expectProblem(answers[RATE_LIMIT]!, 429, 'too_many_requests');
    expect(Number(answers[RATE_LIMIT]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await tryIt('marker', '1.0.0', { configuration: {} }, '203.0.113.10')).status).toBe(200);
  });

  it('answers 503 trials_busy with Retry-After when every slot is taken', async () => {
    // One trial at a time and none waiting: the looping module holds the slot for its callback deadline.
    const answers = await Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) => tryIt('looper', '1.0.0', {}, address)));
    const busy = answers.filter((a) => a.status === 503);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expectProblem(busy[0]!, 503, 'trials_busy');
    expect(Number(busy[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answers.find((a) => a.status === 200)!.json.start.failure).toMatchObject({ kind: 'timeout', callback: 'proxy_on_vm_start' });
  });

  it('tries a plugin built with clang: its call out answered by the default stub, then by yours', async () => {
    const authGate = (await clangAuthGatePlugin()).bytes;
    expect((await publish('auth-gate', '1.0.0', authGate, [{ name: 'default', configuration: JSON.parse(AUTH_GATE_CONFIGURATION) }])).status).toBe('ready');
    const stored = (await api(registry.url, 'GET', `${versionPath('auth-gate', '1.0.0')}/trial`)).json.trace;
    expect(stored.start).toMatchObject({ linked: true, entryPoint: '_initialize', failure: null });
    expect(stored.configurations).toMatchObject([{ name: 'default', accepted: true }]);
    const orders = stored.requests.find((r: Json) => r.name === 'GET /api/orders');
    // Nothing answers a call out unless you say so: the unreachable upstream makes the plugin answer 503 itself.
    expect(orders.callsOut.map((c: Json) => [c.upstream, c.answer])).toEqual([['authz', 'failure']]);
    expect(orders.localResponse).toMatchObject({ status: 503 });

    const mine = await tryIt(
      'auth-gate',
      '1.0.0',
      {
        example: 'default',
        requests: [{ method: 'GET', path: '/api/orders', headers: { authorization: 'Bearer t' } }],
        upstreams: { authz: { status: 200, headers: { 'x-auth-user': 'alice' }, body: '{"allow":true}' } },
      },
      '198.51.100.40',
    );
    expect(mine.status, mine.text).toBe(200);
    const [request] = mine.json.requests;
    expect(request.callsOut.map((c: Json) => [c.upstream, c.answer])).toEqual([['authz', { status: 200 }]]);
    expect([request.outcome, request.localResponse]).toEqual(['completed', null]);
    expect(request.request.headers).toEqual({ added: [['x-auth-user', 'alice']], replaced: [], removed: ['authorization'] });
  }, 120_000);

  it('says what an upgrade lets the plugin do that it could not before', async () => {
    const diff = await api(registry.url, 'GET', `${versionPath('marker', '1.1.0')}/capability-diff`);
    expect(diff.status, diff.text).toBe(200);
    expect([diff.json.from, diff.json.to]).toEqual(['1.0.0', '1.1.0']);
    expect(diff.json.imports.flatMap((g: Json) => g.added)).toEqual(['env.proxy_http_call']);
    expect(diff.json.changes.some((c: Json) => c.widens)).toBe(true);
    expectProblem(await api(registry.url, 'GET', `${versionPath('marker', '1.0.0')}/capability-diff`), 404, 'previous_version_not_found');
  });

  it('shows the trial, what changed and a Try it form that works without JavaScript on the version page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      expect((await page.goto(`${registry.url}/plugins/acme/marker/1.1.0`))?.status()).toBe(200);
      const line = (await page.locator('#trial-line').textContent())!;
      expect(line.startsWith('starts: yes; configure(example "default"): true; GET / → Continue, added `x-plugin`; POST /login → local response 401, added `x-plugin`; ')).toBe(true);
      expect(line).toMatch(/; calls out: none; [\d.,]+ µs per request$/);
      expect(await page.locator('#what-changed-heading').textContent()).toBe('What changed since 1.0.0');
      expect(await page.locator('#what-changed').textContent()).toContain('proxy_http_call');
      expect(await accessibilityProblems(page)).toEqual([]);

      expect(await page.locator('#try-configuration').inputValue()).toBe('{"greeting":"hi"}');
      await page.locator('#try-configuration').fill('not json');
      await page.locator('#try-requests').fill('POST /login');
      await Promise.all([page.waitForURL(/\/try/), page.locator('#try-it button[type="submit"]').click()]);
      expect(await page.locator('#try-it .notice.ok').textContent()).toContain('nothing was stored');
      expect(await page.locator('#try-it-line').textContent()).toBe('starts: yes; configure(your configuration): false; calls out: none');
      expect(await page.locator('#try-configuration').inputValue()).toBe('not json');
      await screenshot(page, 'trial-try-it');
    } finally {
      await context.close();
    }
  });
});
