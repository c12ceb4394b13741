import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { getAndReset } from '../testing/http-client.js';
import { compileWat, paddedModule, proxyWasmFilterWat, rejectedFilter } from '../testing/wasm-fixtures.js';
import { api, DATABASE_CONFIGURATIONS, expectProblem, settledVersion, waitFor, type Json } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A Proxy-Wasm filter declaring `abi`, with a producers section naming `language` when given. */
async function filterModule(tag: string, abi: '0.2.0' | '0.2.1', language?: string): Promise<Buffer> {
  const wat = proxyWasmFilterWat(tag).replace('proxy_abi_version_0_2_1', `proxy_abi_version_${abi.replaceAll('.', '_')}`);
  const module = await compileWat(wat, `${tag}.wat`);
  return language === undefined ? module : Buffer.concat([module, producersSection(language)]);
}

/** The tool-conventions producers custom section with one language field. */
function producersSection(language: string): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
  const payload = Buffer.concat([str('producers'), Buffer.from([1]), str('language'), Buffer.from([1]), str(language), str('1.0')]);
  return Buffer.concat([Buffer.from([0, payload.length]), payload]);
}

interface PluginSpec {
  namespace: string;
  name: string;
  description: string;
  keywords: string[];
  categories: string[];
  versions: { version: string; abi?: '0.2.0' | '0.2.1'; language?: string }[];
}

/** The catalog the relevance tests search. */
const CATALOG: PluginSpec[] = [
  {
    namespace: 'acme',
    name: 'rate-limiter',
    description: 'Token bucket limits per client.',
    keywords: ['quota'],
    categories: ['traffic-management'],
    versions: [{ version: '1.0.0' }, { version: '1.1.0', language: 'rust' }],
  },
  {
    namespace: 'edge',
    name: 'rate-limiter-redis',
    description: 'Distributed rate-limiter backed by Redis, shared by every proxy.',
    keywords: ['redis', 'quota'],
    categories: ['traffic-management', 'integration'],
    versions: [{ version: '0.9.0', abi: '0.2.0', language: 'go' }],
  },
  {
    namespace: 'acme',
    name: 'jwt-auth',
    description: 'Validates JSON Web Tokens issued by your identity provider.',
    keywords: ['jwt', 'oauth'],
    categories: ['authentication-authorization'],
    versions: [{ version: '1.0.0' }, { version: '2.0.0-rc.1' }],
  },
  {
    namespace: 'edge',
    name: 'session-guard',
    description: 'Checks session cookies; an alternative to oauth for legacy apps.',
    keywords: ['cookies'],
    categories: ['authentication-authorization', 'security'],
    versions: [{ version: '3.0.0', language: 'rust' }],
  },
  {
    namespace: 'observe',
    name: 'prometheus-metrics',
    description: 'Request counters and latency histograms.',
    keywords: ['metrics', 'prometheus'],
    categories: ['observability'],
    versions: [{ version: '0.1.0', abi: '0.2.0' }, { version: '0.2.0' }],
  },
  {
    namespace: 'observe',
    name: 'b3-sampler',
    description: 'Samples traces by B3 headers.',
    keywords: ['tracing', 'sampling'],
    categories: ['observability'],
    versions: [{ version: '1.0.0', abi: '0.2.0', language: 'go' }],
  },
];


describe.each(DATABASE_CONFIGURATIONS)('the catalog on %s', (_name, setUp) => {
  let registry: RunningRegistry;
  let stopDatabase: () => Promise<void>;
  let admin: string;
  const names = (page: Json): string[] => page.json.items.map((p: Json) => `${p.namespace}/${p.name}`);
  const search = (query: string) => api(registry.url, 'GET', `/api/v1/plugins?${query}`);

  async function publish(spec: PluginSpec): Promise<void> {
    const metadata = { description: spec.description, keywords: spec.keywords, categories: spec.categories, license: 'Apache-2.0' };
    expect((await api(registry.url, 'PUT', `/api/v1/plugins/${spec.namespace}/${spec.name}`, { token: admin, json: metadata })).status).toBeLessThan(300);
    for (const v of spec.versions) {
      const module = await filterModule(`${spec.namespace}-${spec.name}-${v.version}`, v.abi ?? '0.2.1', v.language);
      const path = `/api/v1/plugins/${spec.namespace}/${spec.name}/versions/${v.version}`;
      expect((await api(registry.url, 'PUT', path, { token: admin, body: module })).status).toBe(202);
      expect((await settledVersion(registry.url, spec.namespace, spec.name, v.version)).status).toBe('ready');
    }
  }

  async function download(path: string, times: number): Promise<void> {
    await Promise.all(Array.from({ length: times }, async () => expect((await api(registry.url, 'GET', path)).status).toBe(200)));
  }

  beforeAll(async () => {
    const database = await setUp();
    stopDatabase = database.stop;
    registry = await startRegistry({ ...database.env, DOWNLOAD_FLUSH_INTERVAL_MS: '50' });
    admin = registry.adminToken;
    for (const ns of ['acme', 'edge', 'observe']) await api(registry.url, 'PUT', `/api/v1/namespaces/${ns}`, { token: admin });
    for (const spec of CATALOG) await publish(spec);
    // Popularity: the redis limiter and session-guard are downloaded more than the plugins that must still rank above them.
    await download('/api/v1/plugins/edge/rate-limiter-redis/versions/0.9.0/module.wasm', 30);
    await download('/api/v1/plugins/edge/session-guard/versions/3.0.0/module.wasm', 20);
    await download('/api/v1/plugins/observe/b3-sampler/versions/1.0.0/module.wasm', 5);
    await waitFor(
      () => api(registry.url, 'GET', '/api/v1/plugins/edge/rate-limiter-redis'),
      (r) => r.json.downloads === 30,
    );
    await waitFor(
      () => api(registry.url, 'GET', '/api/v1/plugins/observe/b3-sampler'),
      (r) => r.json.downloads === 5,
    );
  }, 180_000);

  afterAll(async () => {
    await registry?.stop();
    await stopDatabase?.();
  });

  describe('search relevance', () => {
    it('ranks the exact name first, above a more downloaded plugin that also matches', async () => {
      const page = await search('q=rate-limiter');
      expect(names(page).slice(0, 2)).toEqual(['acme/rate-limiter', 'edge/rate-limiter-redis']);
      expect(page.json.items[0].score).toBeGreaterThan(page.json.items[1].score);
      expect(page.json.items[1].downloads).toBe(30);
      expect(page.json.items[0].downloads).toBe(0);
    });

    it('finds a misspelt name by trigram similarity', async () => {
      expect(names(await search('q=jwt-auht'))).toContain('acme/jwt-auth');
      expect(names(await search('q=prometheus-metrcs'))[0]).toBe('observe/prometheus-metrics');
    });

    it('finds a partial word as a prefix', async () => {
      expect(names(await search('q=promet'))).toEqual(['observe/prometheus-metrics']);
      expect(names(await search('q=sampl'))).toEqual(['observe/b3-sampler']);
    });

    it('ranks a keyword match above a description match, whatever their downloads', async () => {
      const page = await search('q=oauth');
      expect(names(page)).toEqual(['acme/jwt-auth', 'edge/session-guard']);
      expect(page.json.items[1].downloads).toBeGreaterThan(page.json.items[0].downloads);
    });

    it('requires every word, stemmed: "limiting clients" finds the limiter by its description', async () => {
      expect(names(await search('q=limiting%20clients'))).toEqual(['acme/rate-limiter']);
      expect(names(await search('q=limiting%20kafka'))).toEqual([]);
    });

    it('breaks equal relevance by downloads', async () => {
      // Both match "quota" only as a keyword; the redis one is downloaded more.
      expect(names(await search('q=quota'))).toEqual(['edge/rate-limiter-redis', 'acme/rate-limiter']);
    });
  });

  describe('filters', () => {
    it('filters by category, ABI, host, kind, language and signature, combined with AND and with q', async () => {
      expect(names(await search('category=observability&sort=name'))).toEqual(['observe/b3-sampler', 'observe/prometheus-metrics']);
      // The latest version counts: prometheus-metrics 0.2.0 declares ABI 0.2.1, its 0.1.0 declared 0.2.0.
      expect(names(await search('category=observability&abi=0.2.0'))).toEqual(['observe/b3-sampler']);
      expect(names(await search('abi=0.2.0&sort=name'))).toEqual(['observe/b3-sampler', 'edge/rate-limiter-redis']);
      expect(names(await search('language=rust&sort=name'))).toEqual(['acme/rate-limiter', 'edge/session-guard']);
      expect(names(await search('language=go&category=integration'))).toEqual(['edge/rate-limiter-redis']);
      expect(names(await search('q=limiter&language=rust'))).toEqual(['acme/rate-limiter']);
      expect(names(await search('kind=component'))).toEqual([]);
      expect((await search('kind=module')).json.total).toBe(CATALOG.length);
      expect((await search('signed=true')).json.total).toBe(CATALOG.length);
      expect((await search('signed=false')).json.total).toBe(0);
      const envoy = await search('host=envoy&limit=100');
      expect(envoy.json.total).toBe(CATALOG.length);
      for (const item of envoy.json.items) expect(item.latest.hosts).toContain('envoy');
    });

    it('shows what a platform engineer needs to judge each result', async () => {
      const [item] = (await search('q=b3-sampler')).json.items;
      expect(item).toMatchObject({
        namespace: 'observe',
        name: 'b3-sampler',
        description: 'Samples traces by B3 headers.',
        latestVersion: '1.0.0',
        latest: { version: '1.0.0', abiVersion: '0.2.0', kind: 'module', languages: ['go'], signed: true, digest: expect.stringMatching(/^sha256:/) },
        categories: ['observability'],
        downloads: 5,
        recentDownloads: 5,
        signed: true,
        deprecation: null,
      });
      expect(item.links.module).toBe(`${registry.url}/api/v1/blobs/${item.latest.digest}`);
      expect(Date.parse(item.updatedAt)).toBeGreaterThan(Date.now() - 600_000);
    });

    it('shows a release as latest, not a newer pre-release', async () => {
      const [item] = (await search('q=jwt-auth')).json.items;
      expect(item.latestVersion).toBe('1.0.0');
    });

    it('refuses bad parameters, naming each field and what is allowed', async () => {
      const response = await search('category=waf&abi=0.3.0&host=nginx&kind=script&signed=yes&sort=stars&limit=101');
      expectProblem(response, 400, 'invalid_input');
      const fields = response.json.errors.map((e: Json) => e.field);
      expect(fields).toEqual(['query.category', 'query.abi', 'query.host', 'query.kind', 'query.signed', 'query.sort', 'query.limit']);
      expect(response.json.errors[0].message).toContain('authentication-authorization');
      expect(response.json.errors[1].message).toContain('0.2.1');
      expectProblem(await search('sort=relevance'), 400, 'invalid_input');
      expectProblem(await search(`q=${'x'.repeat(201)}`), 400, 'invalid_input');
      expectProblem(await search('cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_input');
      // A cursor of another sort is refused, not misread.
      const byName = await search('sort=name&limit=1');
      expectProblem(await search(`sort=downloads&cursor=${byName.json.nextCursor}`), 400, 'invalid_input');
    });
  });

  describe('categories', () => {
    it('lists every category with its plugins and share of the catalog', async () => {
      const response = await api(registry.url, 'GET', '/api/v1/categories');
      expect(response.status).toBe(200);
      expect(response.json.plugins).toBe(CATALOG.length);
      const bySlug = Object.fromEntries(response.json.categories.map((c: Json) => [c.slug, c]));
      expect(Object.keys(bySlug)).toEqual(['authentication-authorization', 'observability', 'traffic-management', 'security', 'integration', 'other']);
      expect(bySlug['traffic-management']).toMatchObject({ name: 'Traffic Management', plugins: 2, share: Number((2 / CATALOG.length).toFixed(4)) });
      expect(bySlug['security']).toMatchObject({ plugins: 1 });
      expect(bySlug['other']).toMatchObject({ plugins: 0, share: 0 });
      expect(bySlug['observability'].description).toMatch(/tracing/i);
    });
  });

  describe('pagination', () => {
    it('walks every sort with no duplicates or gaps while new plugins are published', async () => {
      const before = CATALOG.map((p) => `${p.namespace}/${p.name}`).sort();
      for (const sort of ['name', 'downloads', 'recent']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let round = 0;
        do {
          const query: string = `sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
          // A publish lands between every two pages.
          const [page] = await Promise.all([search(query), publish(churnPlugin(`${sort}-${round++}`))]);
          expect(page.status).toBe(200);
          seen.push(...names(page));
          cursor = page.json.nextCursor;
        } while (cursor !== null);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.filter((n) => before.includes(n)).sort()).toEqual(before);
      }
    });

    it('pages through relevance results in score order', async () => {
      const all = await search('q=limiter&limit=100');
      const seen: Json[] = [];
      let cursor: string | null = null;
      do {
        const page: Json = await search(`q=limiter&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.json.items);
        cursor = page.json.nextCursor;
      } while (cursor !== null);
      expect(seen.map((i) => i.name)).toEqual(all.json.items.map((i: Json) => i.name));
      expect(all.json.items.length).toBeGreaterThanOrEqual(2);
      // The first page of a text search counts every match, not just the page.
      expect((await search('q=limiter&limit=1')).json.total).toBe(all.json.items.length);
      expect((await search(`q=limiter&limit=1&cursor=${(await search('q=limiter&limit=1')).json.nextCursor}`)).json.total).toBeNull();
    });
  });

  describe('download counts', () => {
    it('counts a download whose client resets the connection right after the last byte, and not one cut short', async () => {
      const module = await paddedModule(2 * 1024 * 1024, 'reset');
      expect((await api(registry.url, 'PUT', '/api/v1/plugins/edge/reset-probe/versions/1.0.0', { token: admin, body: module })).status).toBe(202);
      expect((await settledVersion(registry.url, 'edge', 'reset-probe', '1.0.0')).status).toBe('ready');
      const path = `/api/v1/blobs/${sha256(module)}`;
      // Complete downloads, each followed at once by a TCP reset, in bursts.
      for (let burst = 0; burst < 5; burst++) {
        const results = await Promise.all(Array.from({ length: 20 }, () => getAndReset(registry.url, path)));
        for (const r of results) expect(r).toEqual({ status: 200, received: module.length });
      }
      // Downloads cut short after 64 KiB: of a module larger than the kernel's socket buffers, so the rest stays unsent.
      const large = await paddedModule(24 * 1024 * 1024, 'reset-large');
      expect((await api(registry.url, 'PUT', '/api/v1/plugins/edge/reset-probe/versions/2.0.0', { token: admin, body: large })).status).toBe(202);
      expect((await settledVersion(registry.url, 'edge', 'reset-probe', '2.0.0')).status).toBe('ready');
      for (let i = 0; i < 5; i++) expect((await getAndReset(registry.url, `/api/v1/blobs/${sha256(large)}`, 64 * 1024)).status).toBe(200);
      const version = await waitFor(
        () => api(registry.url, 'GET', '/api/v1/plugins/edge/reset-probe/versions/1.0.0'),
        (r) => r.json.downloads >= 100,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(version.json.downloads).toBe(100);
      expect((await api(registry.url, 'GET', '/api/v1/plugins/edge/reset-probe/versions/1.0.0')).json.downloads).toBe(100);
      expect((await api(registry.url, 'GET', '/api/v1/plugins/edge/reset-probe/versions/2.0.0')).json.downloads).toBe(0);
    });

    it('counts 1,000 concurrent downloads exactly, per version, per plugin and in search', async () => {
      const before = (await api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter')).json.downloads as number;
      const module = (await api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter/versions/1.0.0/module.wasm')).bytes;
      const paths = ['/api/v1/plugins/acme/rate-limiter/versions/1.0.0/module.wasm', `/api/v1/blobs/${sha256(module)}`];
      await Promise.all(Array.from({ length: 999 }, async (_, i) => expect((await api(registry.url, 'GET', paths[i % 2]!)).status).toBe(200)));
      const plugin = await waitFor(
        () => api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter'),
        (r) => r.json.downloads >= before + 1000,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter')).json.downloads).toBe(before + 1000);
      expect(plugin.json.versions.find((v: Json) => v.version === '1.0.0').downloads).toBe(1000);
      const [item] = (await search('q=rate-limiter')).json.items;
      expect(item).toMatchObject({ name: 'rate-limiter', downloads: before + 1000, recentDownloads: before + 1000 });
    });
  });

  describe('lifecycle', () => {
    it('yanks a version: not latest, marked everywhere, still downloadable by version and digest; un-yank restores it', async () => {
      const path = '/api/v1/plugins/acme/rate-limiter/versions/1.1.0';
      const yanked = await api(registry.url, 'PUT', `${path}/yank`, { token: admin, json: { reason: 'CVE-2026-0001: bypass with empty key' } });
      expect(yanked.status).toBe(200);
      expect(yanked.json).toMatchObject({ yanked: true, yankReason: 'CVE-2026-0001: bypass with empty key', yankedAt: expect.any(String) });
      const plugin = await api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter');
      expect(plugin.json.latestVersion).toBe('1.0.0');
      expect(plugin.json.versions.find((v: Json) => v.version === '1.1.0')).toMatchObject({ yanked: true });
      expect((await search('q=rate-limiter')).json.items[0]).toMatchObject({ name: 'rate-limiter', latestVersion: '1.0.0' });
      const byVersion = await api(registry.url, 'GET', `${path}/module.wasm`);
      expect(byVersion.status).toBe(200);
      expect((await api(registry.url, 'GET', `/api/v1/blobs/${sha256(byVersion.bytes)}`)).status).toBe(200);

      const restored = await api(registry.url, 'DELETE', `${path}/yank`, { token: admin });
      expect(restored.json).toMatchObject({ yanked: false, yankReason: null });
      expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/rate-limiter')).json.latestVersion).toBe('1.1.0');
    });

    it('hides a plugin whose every version is yanked from search, and keeps it reachable by name', async () => {
      const path = '/api/v1/plugins/edge/session-guard/versions/3.0.0';
      expect((await api(registry.url, 'PUT', `${path}/yank`, { token: admin })).status).toBe(200);
      expect(names(await search('q=session-guard'))).not.toContain('edge/session-guard');
      const plugin = await api(registry.url, 'GET', '/api/v1/plugins/edge/session-guard');
      expect(plugin.json).toMatchObject({ latestVersion: null, downloads: 20 });
      await api(registry.url, 'DELETE', `${path}/yank`, { token: admin });
      expect(names(await search('q=session-guard'))).toContain('edge/session-guard');
    });

    it('refuses to yank without rights, or a version that is not ready', async () => {
      const token = (await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'observe-ci', namespaces: ['observe'] } })).json.token;
      expectProblem(await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/yank', { token }), 403, 'forbidden');
      expectProblem(await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/yank'), 401, 'unauthenticated');
      expectProblem(await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/9.9.9/yank', { token: admin }), 404, 'version_not_found');
      expectProblem(await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/yank', { token: admin, json: { reason: 7 } }), 400, 'invalid_input');
      const bad = await api(registry.url, 'PUT', '/api/v1/plugins/acme/bad/versions/1.0.0', { token: admin, body: await rejectedFilter('bad') });
      expect(bad.status).toBe(202);
      expect((await settledVersion(registry.url, 'acme', 'bad', '1.0.0')).status).toBe('rejected');
      expectProblem(await api(registry.url, 'PUT', '/api/v1/plugins/acme/bad/versions/1.0.0/yank', { token: admin }), 409, 'version_not_ready');
      // The publisher of the namespace may yank its own versions.
      expect((await api(registry.url, 'PUT', '/api/v1/plugins/observe/b3-sampler/versions/1.0.0/yank', { token, json: { reason: 'test' } })).status).toBe(200);
      expect((await api(registry.url, 'DELETE', '/api/v1/plugins/observe/b3-sampler/versions/1.0.0/yank', { token })).status).toBe(200);
    });

    it('deprecates a plugin with a message shown in search and on the plugin; undeprecates it', async () => {
      const path = '/api/v1/plugins/acme/jwt-auth/deprecation';
      expectProblem(await api(registry.url, 'PUT', path, { token: admin, json: {} }), 400, 'invalid_input');
      const deprecated = await api(registry.url, 'PUT', path, { token: admin, json: { message: 'Use acme/oidc-gateway instead.' } });
      expect(deprecated.status).toBe(200);
      expect(deprecated.json.deprecation).toMatchObject({ message: 'Use acme/oidc-gateway instead.', deprecatedAt: expect.any(String) });
      expect((await search('q=jwt-auth')).json.items[0].deprecation).toMatchObject({ message: 'Use acme/oidc-gateway instead.' });
      expect((await api(registry.url, 'DELETE', path, { token: admin })).json.deprecation).toBeNull();
      expect((await search('q=jwt-auth')).json.items[0].deprecation).toBeNull();
    });

    it('lets an admin delete a version nobody downloaded, and refuses one that was downloaded', async () => {
      const unused = await filterModule('never-downloaded', '0.2.1');
      await api(registry.url, 'PUT', '/api/v1/plugins/observe/b3-sampler/versions/1.1.0', { token: admin, body: unused });
      expect((await settledVersion(registry.url, 'observe', 'b3-sampler', '1.1.0')).status).toBe('ready');
      expect((await api(registry.url, 'GET', '/api/v1/plugins/observe/b3-sampler')).json.latestVersion).toBe('1.1.0');

      const scoped = (await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'observe-2', namespaces: ['observe'] } })).json.token;
      expectProblem(await api(registry.url, 'DELETE', '/api/v1/plugins/observe/b3-sampler/versions/1.1.0', { token: scoped }), 403, 'forbidden');
      const inUse = await api(registry.url, 'DELETE', '/api/v1/plugins/observe/b3-sampler/versions/1.0.0', { token: admin });
      expectProblem(inUse, 409, 'version_in_use');
      expect(inUse.json.detail).toMatch(/yank/i);

      expect((await api(registry.url, 'DELETE', '/api/v1/plugins/observe/b3-sampler/versions/1.1.0', { token: admin })).status).toBe(204);
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/observe/b3-sampler/versions/1.1.0'), 404, 'version_not_found');
      expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${sha256(unused)}`), 404, 'blob_not_found');
      expect((await api(registry.url, 'GET', '/api/v1/plugins/observe/b3-sampler')).json.latestVersion).toBe('1.0.0');
      expect((await api(registry.url, 'GET', '/api/v1/plugins/observe/b3-sampler/versions/1.0.0/module.wasm')).status).toBe(200);
    });
  });

  describe('audit log', () => {
    it('records every change of state for admins, newest first, with who did it', async () => {
      const secret = (await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'ci-bot', namespaces: ['edge'] } })).json.token as string;
      const log = await api(registry.url, 'GET', '/api/v1/audit?limit=200', { token: admin });
      expect(log.status).toBe(200);
      const events: Json[] = log.json.items;
      const actions = new Set(events.map((e) => e.action));
      for (const action of [
        'namespace.created',
        'plugin.created',
        'version.published',
        'version.ready',
        'version.rejected',
        'version.yanked',
        'version.unyanked',
        'plugin.deprecated',
        'plugin.undeprecated',
        'version.deleted',
        'token.issued',
      ]) {
        expect(actions).toContain(action);
      }
      const ids = events.map((e) => BigInt(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
      const deleted = events.find((e) => e.action === 'version.deleted')!;
      expect(deleted).toMatchObject({ actor: 'REGISTRY_ADMIN_TOKEN', namespace: 'observe', plugin: 'b3-sampler', version: '1.1.0', details: { digest: expect.stringMatching(/^sha256:/) } });
      const yank = events.find((e) => e.action === 'version.yanked' && e.plugin === 'b3-sampler')!;
      expect(yank).toMatchObject({ actor: 'observe-ci', actorTokenId: expect.any(String), details: { reason: 'test' } });
      expect(events.find((e) => e.action === 'version.ready')).toMatchObject({ actor: 'pipeline' });
      const issued = events.find((e) => e.action === 'token.issued')!;
      expect(issued).toMatchObject({ actor: 'REGISTRY_ADMIN_TOKEN', details: { name: 'ci-bot', namespaces: ['edge'], admin: false } });
      expect(secret.startsWith(issued.details.prefix)).toBe(true);
      expect(JSON.stringify(events)).not.toContain(secret);

      const filtered = await api(registry.url, 'GET', '/api/v1/audit?action=version.yanked&namespace=acme', { token: admin });
      expect(filtered.json.items.length).toBeGreaterThan(0);
      for (const e of filtered.json.items) expect(e).toMatchObject({ action: 'version.yanked', namespace: 'acme' });
      const first = await api(registry.url, 'GET', '/api/v1/audit?limit=3', { token: admin });
      const second = await api(registry.url, 'GET', `/api/v1/audit?limit=3&cursor=${first.json.nextCursor}`, { token: admin });
      expect(second.json.items.map((e: Json) => e.id)).toEqual(events.slice(3, 6).map((e) => e.id));
    });

    it('is for admins only, and refuses bad filters', async () => {
      const token = (await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'reader', namespaces: ['acme'] } })).json.token;
      expectProblem(await api(registry.url, 'GET', '/api/v1/audit', { token }), 403, 'forbidden');
      expectProblem(await api(registry.url, 'GET', '/api/v1/audit'), 401, 'unauthenticated');
      const bad = await api(registry.url, 'GET', '/api/v1/audit?action=version.exploded&limit=0', { token: admin });
      expectProblem(bad, 400, 'invalid_input');
      expect(bad.json.errors.map((e: Json) => e.field)).toEqual(['query.action', 'query.limit']);
    });
  });
});

function churnPlugin(tag: string): PluginSpec {
  return {
    namespace: 'edge',
    name: `churn-${tag}`,
    description: 'Published while a client pages through the catalog.',
    keywords: [],
    categories: ['other'],
    versions: [{ version: '1.0.0' }],
  };
}
