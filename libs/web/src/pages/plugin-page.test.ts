import { describe, expect, it } from 'vitest';
import { inlineCode } from '../../test/inline-code.js';
import type { ApiAnswer, PublicApi } from '../public-api.js';
import { chooseVersion, pluginPage } from './plugin-page.js';

const ORIGIN = 'https://registry.example';
const hex = (c: string): string => c.repeat(64);
const BASE = '/api/v1/plugins/acme/jwt-auth';
const YANK_REASON = 'CVE-2026-0001: tokens without exp were accepted';
const REJECTION = 'Envoy will refuse to load this module: env.proxy_made_up is not a Proxy-Wasm host function.';

function version(v: string, c: string, extra: Record<string, unknown> = {}): Record<string, any> {
  const self = `${ORIGIN}${BASE}/versions/${v}`;
  const ready = (extra.status ?? 'ready') === 'ready';
  return {
    namespace: 'acme',
    plugin: 'jwt-auth',
    version: v,
    digest: `sha256:${hex(c)}`,
    size: 953,
    status: 'ready',
    statusReason: null,
    createdAt: '2026-11-11T16:00:00.000Z',
    readyAt: '2026-11-11T16:00:20.000Z',
    downloads: 306,
    yanked: false,
    yankedAt: null,
    yankReason: null,
    yankAdvisory: null,
    advisories: [],
    analysis: { kind: 'module', abiVersion: '0.2.1', envoyLoads: true, filterTypes: ['http'], compatibility: [], capabilities: [], warnings: [], rejections: [], omitted: {}, truncated: false, analyzedAt: '2026-11-11T16:00:10.000Z' },
    pinned: ready
      ? {
          url: `${ORIGIN}/api/v1/blobs/sha256:${hex(c)}`,
          sha256: hex(c),
          oci: { reference: `registry.example/acme/jwt-auth:${v}`, pinnedReference: `registry.example/acme/jwt-auth@sha256:${hex('f')}`, url: `oci://registry.example/acme/jwt-auth:${v}`, manifestDigest: `sha256:${hex('f')}`, sha256: hex('f') },
        }
      : null,
    pipeline: [{ step: 'analysis', state: 'done', attempts: 1, error: null, startedAt: null, finishedAt: null }],
    links: { self, module: `${self}/module.wasm`, signature: `${self}/signature` },
    ...extra,
  };
}

function plugin(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    namespace: 'acme',
    name: 'jwt-auth',
    description: 'Validates JSON Web Tokens <fast>.',
    license: 'Apache-2.0',
    homepage: 'https://example.com/jwt-auth',
    repository: 'javascript:alert(1)',
    keywords: ['jwt'],
    categories: ['security'],
    latestVersion: '1.1.0',
    downloads: 2818,
    deprecation: null,
    versions: [
      version('1.2.0', 'c', {
        status: 'rejected',
        statusReason: REJECTION,
        analysis: { ...version('x', 'x').analysis, rejections: [{ code: 'unknown_host_import', severity: 'error', message: REJECTION, host: 'envoy' }], omitted: { rejections: 7 } },
      }),
      version('1.1.0', 'b'),
      version('1.0.0', 'a'),
      version('0.9.0', '9', { yanked: true, yankedAt: '2026-11-20T00:00:00.000Z', yankReason: YANK_REASON }),
    ],
    ...overrides,
  };
}

const answer = (status: number, json: unknown, text = JSON.stringify(json)): ApiAnswer => ({ status, json, text, headers: {} });
const problem = (status: number, detail: string): ApiAnswer => answer(status, { status, detail });

function analysis(v: string): unknown {
  return {
    status: 'ready',
    analyzedAt: '2026-11-11T16:00:10.000Z',
    rejections: [],
    warnings: [],
    report: { kind: 'module', proxyWasm: { abiVersion: '0.2.1', envoy: { loads: true, reasons: [] }, callbacks: { http: ['proxy_on_request_headers'], tcp: [], lifecycle: [], other: [] }, filterTypes: ['http'] }, note: v },
  };
}

/** The public API as the page sees it: answers by path, and a log of what was asked. */
function fakeApi(detail: Record<string, any> | null, overrides: Record<string, ApiAnswer> = {}): { api: PublicApi; asked: string[] } {
  const asked: string[] = [];
  const routes = (path: string): ApiAnswer => {
    if (path in overrides) return overrides[path]!;
    if (path === BASE) return detail === null ? problem(404, 'no such plugin') : answer(200, detail);
    if (path === '/api/v1/categories') return answer(200, { categories: [{ slug: 'security', name: 'Security', description: '', plugins: 2, share: 0.5 }] });
    if (path === `${BASE}/stats?interval=day`) {
      const series = Array.from({ length: 30 }, (_, i) => ({ start: `2026-11-${String(i + 1).padStart(2, '0')}`, downloads: i === 29 ? 7 : 0 }));
      return answer(200, { from: '2026-11-01', to: '2026-11-30', interval: 'day', total: { downloads: 7, series }, versions: [{ version: '1.1.0', status: 'ready', yanked: false, downloads: 4, series }] });
    }
    const m = /^\/api\/v1\/plugins\/acme\/jwt-auth\/versions\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const [, v, what] = m;
      const status = detail?.versions.find((x: any) => x.version === v)?.status;
      if (status === 'rejected' && what!.startsWith('config/')) return problem(409, `acme/jwt-auth@${v} was rejected by the registry's checks, so no proxy configuration is given for it: ${REJECTION}`);
      if (status === 'rejected' && what === 'signature') return problem(404, `acme/jwt-auth@${v} is rejected and was not signed`);
      if (status === 'rejected' && what === 'sbom') return problem(404, `acme/jwt-auth@${v} has no SBOM`);
      if (what === 'analysis') return answer(200, analysis(v!));
      if (what === 'config/envoy') return answer(200, null, `# Envoy for ${v}\nsha256: ${hex('b')}\n`);
      if (what === 'config/istio') return answer(200, null, `# Istio for ${v}\nurl: oci://x <y>\n`);
      if (what === 'signature') return answer(200, { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: 'KEY=' } } });
      if (what === 'sbom') return answer(200, { bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'serde', version: '1.0.200', purl: 'pkg:cargo/serde@1.0.200' }] });
    }
    return problem(404, `unexpected ${path}`);
  };
  const api = {
    get: async (path: string) => {
      asked.push(`GET ${path}`);
      return routes(path);
    },
    post: async (path: string, body: any) => {
      asked.push(`POST ${path}`);
      return answer(200, { verified: true, checks: [{ name: 'signature', passed: true, detail: 'ok' }], signer: { keyId: 'KEY=' }, mediaType: null, kind: 'message_signature', digest: body.digest });
    },
  } as unknown as PublicApi;
  return { api, asked };
}

const h1s = (markup: string): string[] => [...markup.matchAll(/<h1>(.*?)<\/h1>/g)].map((m) => m[1]!);

describe('pluginPage', () => {
  it('shows the latest version at /plugins/{ns}/{name}, with one h1 and a title naming the plugin', async () => {
    const { api } = fakeApi(plugin());
    const page = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(page.status).toBe(200);
    expect(h1s(page.html)).toEqual(['acme/jwt-auth']);
    expect(page.html).toMatch(/<title>acme\/jwt-auth · /);
    expect(page.html).toContain(`<code id="digest">sha256:${hex('b')}</code>`);
    expect(page.html).toContain(`<code id="pinned-url">${ORIGIN}/api/v1/blobs/sha256:${hex('b')}</code>`);
    expect(page.html).toContain('data-copy="pinned-url" aria-label="Copy pinned URL" hidden>');
    expect(page.html).toContain(`<code id="oci-reference">registry.example/acme/jwt-auth@sha256:${hex('f')}</code>`);
    expect(page.html).toContain(`<pre id="envoy-config" tabindex="0" aria-labelledby="envoy-heading"># Envoy for 1.1.0\nsha256: ${hex('b')}\n</pre>`);
    // YAML is text: escaped, so the copy button copies exactly what the API gave.
    expect(page.html).toContain('url: oci://x &lt;y&gt;');
    expect(page.html).toContain('<section id="analysis"');
    expect(page.html).toMatch(/<p id="signature-verification"[^>]*><strong>Verified<\/strong>/);
    expect(page.html).toContain('<code id="signature-key-id">KEY=</code>');
    expect(page.html).toContain('<summary>SBOM: 1 component</summary>');
    expect(page.html).toContain('<a id="sbom-json" href="/api/v1/plugins/acme/jwt-auth/versions/1.1.0/sbom"');
    expect(page.html.match(/<rect class="bar"/g)).toHaveLength(30);
    expect(page.html).toContain('(all versions; 4 of them 1.1.0)');
  });

  it('lists every version with a link and its status badge, yanked over ready', async () => {
    const { api } = fakeApi(plugin());
    const { html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    const versions = html.slice(html.indexOf('<section id="versions"'), html.indexOf('</section>', html.indexOf('<section id="versions"')));
    const items = [...versions.matchAll(/<li[^>]*><a href="([^"]+)">([^<]+)<\/a> <span class="badge[^"]*">(\w+)<\/span>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(items).toEqual([
      ['/plugins/acme/jwt-auth/1.2.0', '1.2.0', 'rejected'],
      ['/plugins/acme/jwt-auth/1.1.0', '1.1.0', 'ready'],
      ['/plugins/acme/jwt-auth/1.0.0', '1.0.0', 'ready'],
      ['/plugins/acme/jwt-auth/0.9.0', '0.9.0', 'yanked'],
    ]);
    expect(versions).toContain(`Yanked: ${YANK_REASON}`);
    expect(versions).toContain('Rejected: Envoy will refuse');
    expect(versions).toContain('<li aria-current="page"><a href="/plugins/acme/jwt-auth/1.1.0">');
  });

  it('escapes the publisher text and links only http(s) URLs', async () => {
    const { api } = fakeApi(plugin());
    const { html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(html).toContain('Validates JSON Web Tokens &lt;fast&gt;.');
    expect(html).toContain('<a href="https://example.com/jwt-auth" rel="nofollow noopener">example.com/jwt-auth</a>');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<a href="/categories/security">Security</a>');
  });

  it('shows the version a URL names, and says which is the latest', async () => {
    const { api } = fakeApi(plugin());
    const page = await pluginPage(api, 'acme', 'jwt-auth', '1.0.0');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<title>acme\/jwt-auth 1\.0\.0 · /);
    expect(page.html).toContain(`<code id="digest">sha256:${hex('a')}</code>`);
    expect(page.html).toContain('This is not the latest version: that is <a href="/plugins/acme/jwt-auth/1.1.0">1.1.0</a>.');
  });

  it('marks a yanked version with its reason, and still gives its digest and pinned URL', async () => {
    const { api } = fakeApi(plugin());
    const { html } = await pluginPage(api, 'acme', 'jwt-auth', '0.9.0');
    expect(html).toMatch(new RegExp(`<div class="notice bad" role="alert"><strong>Yanked</strong> on <time[^>]*>2026-11-20</time>: ${YANK_REASON}`));
    expect(html).toContain(`<code id="digest">sha256:${hex('9')}</code>`);
    expect(html).toContain('<code id="pinned-url">');
  });

  it('puts the reasons of a rejected version first and shows the API’s refusal instead of configuration', async () => {
    const { api } = fakeApi(plugin());
    const { status, html } = await pluginPage(api, 'acme', 'jwt-auth', '1.2.0');
    expect(status).toBe(200);
    const notice = html.indexOf('<strong>Rejected:</strong>');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(html.indexOf('<section id="pin"'));
    expect(html.slice(notice, html.indexOf('</div>', notice))).toContain('env.proxy_made_up');
    expect(html.slice(notice, html.indexOf('</div>', notice))).toContain('…and 7 more reasons: see the analysis below.');
    expect(html).not.toContain('id="envoy-config"');
    expect(html).toContain("<strong>No configuration:</strong> acme/jwt-auth@1.2.0 was rejected by the registry&#39;s checks");
    expect(html).toContain('Not verified: acme/jwt-auth@1.2.0 is rejected and was not signed');
    expect(html).toContain('No SBOM to show: acme/jwt-auth@1.2.0 has no SBOM');
    expect(html).not.toContain('id="pinned-url"');
  });

  it('shows the newest version and explains when no version is ready', async () => {
    const pending = version('0.1.0', 'd', { status: 'pending', analysis: null, pipeline: [{ step: 'analysis', state: 'running', attempts: 1, error: null, startedAt: null, finishedAt: null }] });
    const { api, asked } = fakeApi(plugin({ latestVersion: null, versions: [pending] }));
    const { status, html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(status).toBe(200);
    expect(html).toContain('acme/jwt-auth has no ready version that is not yanked, so search does not list it. This is its newest version, 0.1.0, which is pending.');
    expect(html).toContain('<strong>Being processed.</strong>');
    expect(html).toContain('<li>analysis: running</li>');
    // Nothing to ask the API about a pending version.
    expect(asked.filter((a) => a.includes('/versions/'))).toEqual([]);
  });

  it('shows a deprecation notice with its message', async () => {
    const { api } = fakeApi(plugin({ deprecation: { message: 'Use acme/oidc-gateway instead.', deprecatedAt: '2026-11-01T00:00:00.000Z' } }));
    const { html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(html).toMatch(/<strong>Deprecated<\/strong> since <time[^>]*>2026-11-01<\/time>: Use acme\/oidc-gateway instead\./);
  });

  it('says which advisories affect a version, how severe, and what fixes it; and links a yank to its advisory', async () => {
    const advisory = { id: 'WPR-2345-6789-cfgh', summary: 'Tokens without <kid> pass', severity: 'critical', score: 9.8, fixedIn: '1.2.0' };
    const { api } = fakeApi(
      plugin({
        versions: [
          version('1.1.0', 'b', { advisories: [advisory, { ...advisory, id: 'WPR-3456-789c-fghj', summary: 'Leaks issuers', severity: 'medium', score: 5.3, fixedIn: null }] }),
          version('0.9.0', '9', { yanked: true, yankedAt: '2026-11-20T00:00:00.000Z', yankReason: 'See the advisory', yankAdvisory: advisory.id }),
        ],
      }),
    );
    const { html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(html).toContain('<strong>2 security advisories affect this version</strong>');
    expect(html).toContain('<span class="badge bad">critical 9.8</span> <a href="/api/v1/advisories/WPR-2345-6789-cfgh">WPR-2345-6789-cfgh</a>: Tokens without &lt;kid&gt; pass. Fixed in 1.2.0.');
    expect(html).toContain('<span class="badge warn">medium 5.3</span> <a href="/api/v1/advisories/WPR-3456-789c-fghj">WPR-3456-789c-fghj</a>: Leaks issuers. No fixed version yet.');
    expect(html).toContain('<span class="badge bad">2 advisories</span> critical');
    const yanked = (await pluginPage(api, 'acme', 'jwt-auth', '0.9.0')).html;
    expect(yanked).toContain('See advisory <a href="/api/v1/advisories/WPR-2345-6789-cfgh">WPR-2345-6789-cfgh</a>.');
    expect(yanked).not.toContain('security advisor');
  });

  it('has an empty state for a plugin without versions', async () => {
    const { api } = fakeApi(plugin({ latestVersion: null, versions: [] }));
    const { status, html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(status).toBe(200);
    expect(h1s(html)).toEqual(['acme/jwt-auth']);
    expect(html).toContain('<p class="empty">No versions published yet.</p>');
    expect(html).not.toContain('id="digest"');
  });

  it('answers 404 for an unknown plugin, an unknown version or a name the API would refuse', async () => {
    const { api } = fakeApi(null);
    const missing = await pluginPage(api, 'acme', 'no-such-plugin', null);
    expect(missing.status).toBe(404);
    expect(h1s(missing.html)).toEqual(['No such plugin']);
    expect(missing.html).toContain('acme/no-such-plugin');

    const { api: withPlugin } = fakeApi(plugin());
    const noVersion = await pluginPage(withPlugin, 'acme', 'jwt-auth', '9.9.9');
    expect(noVersion.status).toBe(404);
    expect(h1s(noVersion.html)).toEqual(['No such version']);
    expect(noVersion.html).toContain('acme/jwt-auth has no version 9.9.9.');
    expect(noVersion.html).toContain('<a href="/plugins/acme/jwt-auth/1.1.0">1.1.0</a>');

    expect((await pluginPage(withPlugin, 'acme', 'jwt-auth', '../../x')).status).toBe(404);
    expect((await pluginPage(withPlugin, 'Acme', 'jwt-auth', null)).status).toBe(404);
  });

  it('keeps the page when one part fails, saying what is missing', async () => {
    const { api } = fakeApi(plugin(), { [`${BASE}/stats?interval=day`]: problem(500, 'the registry failed to handle this request') });
    const { status, html } = await pluginPage(api, 'acme', 'jwt-auth', null);
    expect(status).toBe(200);
    expect(html).toContain('The download statistics could not be read: the registry failed to handle this request');
    expect(html).toContain('id="envoy-config"');
  });

  it('renders every state within the Content-Security-Policy: no inline style, script or event handler', async () => {
    const pending = version('0.1.0', 'd', { status: 'pending', analysis: null });
    const failed = version('0.2.0', 'e', { status: 'failed', statusReason: 'sbom: timed out', pipeline: [{ step: 'sbom', state: 'failed', attempts: 5, error: 'timed out', startedAt: null, finishedAt: null }] });
    const states: [string, Record<string, any> | null, string | null][] = [
      ['latest', plugin(), null],
      ['yanked', plugin(), '0.9.0'],
      ['rejected', plugin(), '1.2.0'],
      ['no such version', plugin(), '9.9.9'],
      ['pending', plugin({ latestVersion: null, versions: [pending] }), null],
      ['failed', plugin({ latestVersion: null, versions: [failed] }), null],
      ['deprecated', plugin({ deprecation: { message: 'Use <x>.', deprecatedAt: '2026-11-01T00:00:00.000Z' } }), null],
      ['no versions', plugin({ latestVersion: null, versions: [] }), null],
      ['no such plugin', null, null],
    ];
    for (const [state, detail, wanted] of states) {
      const { api } = fakeApi(detail);
      expect(inlineCode((await pluginPage(api, 'acme', 'jwt-auth', wanted)).html), state).toEqual([]);
    }
  });

  it('answers 502 when the plugin itself cannot be read', async () => {
    const { api } = fakeApi(plugin(), { [BASE]: problem(500, 'boom') });
    expect((await pluginPage(api, 'acme', 'jwt-auth', null)).status).toBe(502);
  });
});

describe('chooseVersion', () => {
  it('takes the URL’s version, else the latest, else the newest', () => {
    const p = plugin();
    expect(chooseVersion(p as any, '1.0.0')).toMatchObject({ why: 'url', version: { version: '1.0.0' } });
    expect(chooseVersion(p as any, null)).toMatchObject({ why: 'latest', version: { version: '1.1.0' } });
    expect(chooseVersion({ ...p, latestVersion: null } as any, null)).toMatchObject({ why: 'newest', version: { version: '1.2.0' } });
    expect(chooseVersion(p as any, '2.0.0')).toBeNull();
  });
});
