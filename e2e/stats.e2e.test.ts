import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../libs/db/index.js';
import { DownloadsRepository, type DownloadCountDelta } from '../libs/downloads/index.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { compileWat, proxyWasmFilterWat } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

const DAY_MS = 86_400_000;
/** Today (UTC) when the suite starts; history is written relative to it. */
const TODAY = new Date().toISOString().slice(0, 10);
/** The UTC day `offset` days from today (negative: in the past). */
const day = (offset: number): string => new Date(Date.parse(`${TODAY}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);

interface PluginSpec {
  namespace: string;
  name: string;
  categories: string[];
  abi: '0.2.0' | '0.2.1';
  versions: string[];
}

const PLUGINS: PluginSpec[] = [
  { namespace: 'acme', name: 'jwt-auth', categories: ['authentication-authorization', 'security'], abi: '0.2.1', versions: ['1.0.0', '1.1.0', '2.0.0-rc.1'] },
  { namespace: 'acme', name: 'rate-limiter', categories: ['traffic-management'], abi: '0.2.0', versions: ['1.0.0'] },
  { namespace: 'edge', name: 'access-log', categories: ['observability'], abi: '0.2.1', versions: ['1.0.0'] },
  { namespace: 'edge', name: 'metrics', categories: ['observability'], abi: '0.2.1', versions: ['1.0.0'] },
  // Its only version is yanked: not listed, so it never ranks and its namespace is no publisher.
  { namespace: 'old', name: 'gone', categories: ['integration'], abi: '0.2.1', versions: ['1.0.0'] },
];

/** Downloaded over HTTP today, before the history is written. */
const DOWNLOADS_TODAY: [path: string, times: number][] = [
  ['/api/v1/plugins/acme/jwt-auth/versions/1.1.0/module.wasm', 3],
  ['/api/v1/plugins/acme/rate-limiter/versions/1.0.0/module.wasm', 5],
];

/** Past days written straight into download_counts: [plugin, version, day, count]. */
const HISTORY: [plugin: string, version: string, day: string, count: number][] = [
  ['acme/jwt-auth', '1.0.0', day(-10), 4],
  ['acme/jwt-auth', '1.0.0', day(-30), 50], // just outside 30d
  ['acme/jwt-auth', '1.0.0', day(-40), 100],
  ['acme/jwt-auth', '1.0.0', '2024-02-27', 1],
  ['acme/jwt-auth', '1.0.0', '2024-02-29', 8],
  ['acme/jwt-auth', '1.0.0', '2024-03-04', 4],
  ['acme/jwt-auth', '1.1.0', day(-2), 6],
  ['acme/jwt-auth', '1.1.0', '2024-03-03', 2],
  ['acme/jwt-auth', '1.1.0', '2024-03-05', 16],
  ['acme/jwt-auth', '1.1.0', '2025-01-02', 32],
  ['acme/rate-limiter', '1.0.0', day(-1), 2],
  ['acme/rate-limiter', '1.0.0', day(-7), 100], // just outside 7d
  ['acme/rate-limiter', '1.0.0', day(-29), 1], // just inside 30d
  ['edge/access-log', '1.0.0', day(-5), 9],
  ['edge/metrics', '1.0.0', day(-6), 9], // just inside 7d
  ['old/gone', '1.0.0', day(-1), 50],
];

/** A Proxy-Wasm filter declaring `abi`; `tag` makes the bytes unique. */
function filterModule(tag: string, abi: '0.2.0' | '0.2.1'): Promise<Buffer> {
  const wat = proxyWasmFilterWat(tag).replace('proxy_abi_version_0_2_1', `proxy_abi_version_${abi.replaceAll('.', '_')}`);
  return compileWat(wat, `${tag}.wat`);
}

describe('download statistics on the embedded registry', () => {
  let dataDir: string;
  let registry: RunningRegistry;
  const get = (path: string) => api(registry.url, 'GET', path);
  const names = (response: { json: Json }): string[] => response.json.items.map((p: Json) => `${p.namespace}/${p.name}`);
  const downloads = (response: { json: Json }): number[] => response.json.items.map((p: Json) => p.windowDownloads);
  const counts = (series: { start: string; downloads: number }[]): number[] => series.map((b) => b.downloads);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-stats-'));
    // An hour between flushes: the clean shutdown writes today's downloads.
    const first = await startRegistry({ DOWNLOAD_FLUSH_INTERVAL_MS: '3600000' }, { dataDir });
    const admin = first.adminToken;
    try {
      for (const ns of ['acme', 'edge', 'old']) expect((await api(first.url, 'PUT', `/api/v1/namespaces/${ns}`, { token: admin })).status).toBe(201);
      for (const spec of PLUGINS) {
        const metadata = { description: `${spec.name} plugin`, categories: spec.categories, license: 'Apache-2.0' };
        expect((await api(first.url, 'PUT', `/api/v1/plugins/${spec.namespace}/${spec.name}`, { token: admin, json: metadata })).status).toBeLessThan(300);
        for (const version of spec.versions) {
          const module = await filterModule(`${spec.namespace}-${spec.name}-${version}`, spec.abi);
          expect((await api(first.url, 'PUT', `/api/v1/plugins/${spec.namespace}/${spec.name}/versions/${version}`, { token: admin, body: module })).status).toBe(202);
        }
      }
      for (const spec of PLUGINS) {
        for (const version of spec.versions) expect((await settledVersion(first.url, spec.namespace, spec.name, version)).status).toBe('ready');
      }
      expect((await api(first.url, 'PUT', '/api/v1/plugins/old/gone/versions/1.0.0/yank', { token: admin, json: { reason: 'superseded' } })).status).toBe(200);
      for (const [path, times] of DOWNLOADS_TODAY) {
        for (let i = 0; i < times; i++) expect((await api(first.url, 'GET', path)).status).toBe(200);
      }
    } finally {
      expect(await first.stop(), first.output().slice(-4000)).toBe(0);
    }

    // History for past days, written the way download flushes write it (per-day rows and plugin totals together).
    const database = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    try {
      const versions = await database.prisma.version.findMany({ select: { id: true, version: true, plugin: { select: { name: true, namespace: { select: { name: true } } } } } });
      const idOf = (plugin: string, version: string): string => {
        const found = versions.find((v) => `${v.plugin.namespace.name}/${v.plugin.name}` === plugin && v.version === version);
        if (found === undefined) throw new Error(`no version ${plugin}@${version}`);
        return found.id;
      };
      const deltas: DownloadCountDelta[] = HISTORY.map(([plugin, version, d, count]) => ({ versionId: idOf(plugin, version), day: d, count }));
      await new DownloadsRepository(database).addCounts(deltas);
    } finally {
      await database.close();
    }

    registry = await startRegistry({}, { dataDir });
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  describe('GET /api/v1/plugins/{namespace}/{name}/stats', () => {
    it('defaults to the last 30 UTC days by day, zero-filled, per version newest first and in total', async () => {
      const stats = await get('/api/v1/plugins/acme/jwt-auth/stats');
      expect(stats.status).toBe(200);
      expect(stats.json).toMatchObject({ namespace: 'acme', plugin: 'jwt-auth', from: day(-29), to: TODAY, interval: 'day' });
      const days = Array.from({ length: 30 }, (_, i) => day(i - 29));
      const expected = (byDay: Record<string, number>) => days.map((start) => ({ start, downloads: byDay[start] ?? 0 }));
      expect(stats.json.total).toEqual({ downloads: 13, series: expected({ [day(-10)]: 4, [day(-2)]: 6, [TODAY]: 3 }) });
      expect(stats.json.versions).toEqual([
        { version: '2.0.0-rc.1', status: 'ready', yanked: false, downloads: 0, series: expected({}) },
        { version: '1.1.0', status: 'ready', yanked: false, downloads: 9, series: expected({ [day(-2)]: 6, [TODAY]: 3 }) },
        { version: '1.0.0', status: 'ready', yanked: false, downloads: 4, series: expected({ [day(-10)]: 4 }) },
      ]);
    });

    it('sums exact daily counts over a given range, across a leap day and a month boundary', async () => {
      const stats = await get('/api/v1/plugins/acme/jwt-auth/stats?from=2024-02-27&to=2024-03-05&interval=day');
      expect(stats.status).toBe(200);
      expect(stats.json).toMatchObject({ from: '2024-02-27', to: '2024-03-05', interval: 'day' });
      expect(stats.json.total.series.map((b: Json) => b.start)).toEqual([
        '2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05',
      ]);
      expect(counts(stats.json.total.series)).toEqual([1, 0, 8, 0, 0, 2, 4, 16]);
      expect(stats.json.total.downloads).toBe(31);
      expect(stats.json.versions.map((v: Json) => [v.version, v.downloads, counts(v.series)])).toEqual([
        ['2.0.0-rc.1', 0, [0, 0, 0, 0, 0, 0, 0, 0]],
        ['1.1.0', 18, [0, 0, 0, 0, 0, 2, 0, 16]],
        ['1.0.0', 13, [1, 0, 8, 0, 0, 0, 4, 0]],
      ]);
    });

    it('buckets by ISO week labelled by its Monday, widening the range to whole weeks', async () => {
      // 2024-02-28 is a Wednesday: its week starts on Monday 2024-02-26; 2024-03-04 (a Monday) runs to Sunday 2024-03-10.
      const stats = await get('/api/v1/plugins/acme/jwt-auth/stats?from=2024-02-28&to=2024-03-04&interval=week');
      expect(stats.status).toBe(200);
      expect(stats.json).toMatchObject({ from: '2024-02-26', to: '2024-03-10', interval: 'week' });
      expect(stats.json.total).toEqual({
        downloads: 31,
        series: [
          { start: '2024-02-26', downloads: 11 },
          { start: '2024-03-04', downloads: 20 },
        ],
      });
      expect(stats.json.versions.map((v: Json) => [v.version, counts(v.series)])).toEqual([
        ['2.0.0-rc.1', [0, 0]],
        ['1.1.0', [2, 16]],
        ['1.0.0', [9, 4]],
      ]);
      // ISO week 1 of 2025 starts on Monday 2024-12-30.
      const newYear = await get('/api/v1/plugins/acme/jwt-auth/stats?from=2024-12-31&to=2025-01-01&interval=week');
      expect(newYear.json).toMatchObject({ from: '2024-12-30', to: '2025-01-05', total: { downloads: 32, series: [{ start: '2024-12-30', downloads: 32 }] } });
    });

    it('serves up to 366 buckets and refuses one more, saying the limit', async () => {
      // Monday 2018-01-01 to Sunday 2025-01-05: exactly 366 weeks.
      const weeks = await get('/api/v1/plugins/acme/jwt-auth/stats?from=2018-01-01&to=2024-12-31&interval=week');
      expect(weeks.status).toBe(200);
      expect(weeks.json.total.series).toHaveLength(366);
      expect(weeks.json.total.downloads).toBe(63);
      expect(weeks.json.total.series.filter((b: Json) => b.downloads > 0)).toEqual([
        { start: '2024-02-26', downloads: 11 },
        { start: '2024-03-04', downloads: 20 },
        { start: '2024-12-30', downloads: 32 },
      ]);
      for (const path of ['from=2017-12-25&to=2024-12-31&interval=week', 'from=2023-12-31&to=2024-12-31']) {
        const tooLong = await get(`/api/v1/plugins/acme/jwt-auth/stats?${path}`);
        expectProblem(tooLong, 400, 'invalid_input');
        expect(tooLong.json.errors).toEqual([{ field: 'query.from', message: expect.stringContaining('at most 366') }]);
      }
      expect((await get('/api/v1/plugins/acme/jwt-auth/stats?from=2024-01-01&to=2024-12-31')).json.total.series).toHaveLength(366);
    });

    it('lists a yanked version as yanked, also for a plugin that is no longer listed', async () => {
      const stats = await get(`/api/v1/plugins/old/gone/stats?from=${day(-1)}&to=${TODAY}`);
      expect(stats.status).toBe(200);
      expect(stats.json.versions).toEqual([
        { version: '1.0.0', status: 'ready', yanked: true, downloads: 50, series: [{ start: day(-1), downloads: 50 }, { start: TODAY, downloads: 0 }] },
      ]);
    });

    it('refuses bad dates, from after to and an unknown interval with 400 naming the field', async () => {
      const cases: [query: string, field: string, words: string][] = [
        ['from=2024-02-30', 'query.from', 'YYYY-MM-DD'],
        ['to=2024-3-5', 'query.to', 'YYYY-MM-DD'],
        ['interval=month', 'query.interval', 'day, week'],
        ['from=2024-03-02&to=2024-03-01', 'query.from', 'after to'],
      ];
      for (const [query, field, words] of cases) {
        const response = await get(`/api/v1/plugins/acme/jwt-auth/stats?${query}`);
        expectProblem(response, 400, 'invalid_input');
        expect(response.json.errors).toEqual([{ field, message: expect.stringContaining(words) }]);
      }
      const badName = await get('/api/v1/plugins/Acme/jwt-auth/stats');
      expectProblem(badName, 400, 'invalid_input');
      expect(badName.json.errors.map((e: Json) => e.field)).toEqual(['path.namespace']);
    });

    it('answers 404 plugin_not_found for a plugin that does not exist', async () => {
      expectProblem(await get('/api/v1/plugins/acme/nope/stats'), 404, 'plugin_not_found');
      expectProblem(await get('/api/v1/plugins/nobody/jwt-auth/stats'), 404, 'plugin_not_found');
    });
  });

  describe('GET /api/v1/stats/popular', () => {
    it('ranks listed plugins by downloads in the last 7 days, ties by all-time downloads, then name', async () => {
      const popular = await get('/api/v1/stats/popular');
      expect(popular.status).toBe(200);
      expect(popular.json).toMatchObject({ window: '7d', from: day(-6), to: TODAY, category: null });
      // old/gone has 50 this week but is not listed; rate-limiter's 100 from 7 days ago fall outside.
      expect(names(popular)).toEqual(['acme/jwt-auth', 'edge/access-log', 'edge/metrics', 'acme/rate-limiter']);
      expect(downloads(popular)).toEqual([9, 9, 9, 7]);
    });

    it('gives each item as search lists it, plus its window downloads', async () => {
      const [jwt] = (await get('/api/v1/stats/popular?window=30d&category=security')).json.items;
      expect(jwt).toMatchObject({
        namespace: 'acme',
        name: 'jwt-auth',
        categories: ['authentication-authorization', 'security'],
        latestVersion: '1.1.0',
        latest: { version: '1.1.0', abiVersion: '0.2.1' },
        downloads: 226,
        recentDownloads: 9,
        windowDownloads: 13,
        links: { self: `${registry.url}/api/v1/plugins/acme/jwt-auth` },
      });
    });

    it('ranks by the last 30 days and by all time', async () => {
      const month = await get('/api/v1/stats/popular?window=30d');
      expect(month.json).toMatchObject({ window: '30d', from: day(-29), to: TODAY });
      expect(names(month)).toEqual(['acme/rate-limiter', 'acme/jwt-auth', 'edge/access-log', 'edge/metrics']);
      expect(downloads(month)).toEqual([108, 13, 9, 9]);
      const all = await get('/api/v1/stats/popular?window=all');
      expect(all.json).toMatchObject({ window: 'all', from: null, to: TODAY });
      expect(names(all)).toEqual(['acme/jwt-auth', 'acme/rate-limiter', 'edge/access-log', 'edge/metrics']);
      expect(downloads(all)).toEqual([226, 108, 9, 9]);
      expect(all.json.items.map((p: Json) => p.downloads)).toEqual([226, 108, 9, 9]);
    });

    it('filters by category and honours the limit', async () => {
      const observability = await get('/api/v1/stats/popular?category=observability');
      expect(observability.json.category).toBe('observability');
      expect(names(observability)).toEqual(['edge/access-log', 'edge/metrics']);
      expect(names(await get('/api/v1/stats/popular?category=traffic-management&window=all'))).toEqual(['acme/rate-limiter']);
      expect(names(await get('/api/v1/stats/popular?category=integration&window=all'))).toEqual([]);
      expect(names(await get('/api/v1/stats/popular?limit=2'))).toEqual(['acme/jwt-auth', 'edge/access-log']);
      expect(names(await get('/api/v1/stats/popular?window=30d&limit=1'))).toEqual(['acme/rate-limiter']);
    });

    it('refuses an unknown window or category and a limit outside 1..100 with 400 naming the field', async () => {
      const bad = await get('/api/v1/stats/popular?window=1y&category=waf&limit=101');
      expectProblem(bad, 400, 'invalid_input');
      expect(bad.json.errors.map((e: Json) => e.field)).toEqual(['query.window', 'query.category', 'query.limit']);
      expect(bad.json.errors[0].message).toContain('7d, 30d, all');
      expect(bad.json.errors[1].message).toContain('authentication-authorization, observability, traffic-management, security, integration, other');
      expect(bad.json.errors[2].message).toContain('1 to 100');
      expect((await get('/api/v1/stats/popular?limit=0')).json.errors).toEqual([{ field: 'query.limit', message: expect.any(String) }]);
    });
  });

  describe('GET /api/v1/stats/summary', () => {
    it('counts listed plugins, ready versions, downloads and publishers, with shares per category and ABI version', async () => {
      const before = Date.now();
      const summary = await get('/api/v1/stats/summary');
      expect(summary.status).toBe(200);
      expect(summary.json).toEqual({
        plugins: 4,
        // The yanked version is still ready (and served).
        versions: 7,
        downloads: 226 + 108 + 9 + 9 + 50,
        // old has no listed plugin.
        publishers: 2,
        categories: [
          { slug: 'authentication-authorization', plugins: 1, share: 0.25 },
          { slug: 'observability', plugins: 2, share: 0.5 },
          { slug: 'traffic-management', plugins: 1, share: 0.25 },
          { slug: 'security', plugins: 1, share: 0.25 },
          { slug: 'integration', plugins: 0, share: 0 },
          { slug: 'other', plugins: 0, share: 0 },
        ],
        abiVersions: [
          { abiVersion: '0.2.1', plugins: 3, share: 0.75 },
          { abiVersion: '0.2.0', plugins: 1, share: 0.25 },
          { abiVersion: '0.1.0', plugins: 0, share: 0 },
          { abiVersion: null, plugins: 0, share: 0 },
        ],
        computedAt: expect.any(String),
      });
      expect(Math.abs(Date.parse(summary.json.computedAt) - before)).toBeLessThan(60_000);
    });
  });
});
