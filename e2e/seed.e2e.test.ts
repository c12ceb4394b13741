import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORY_SLUGS } from '../libs/domain/index.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { api, storedFiles, type Json } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SEED_ENTRY = join(ROOT, 'dist/scripts/seed.js');

interface SeedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built seed as `npm run seed` does, configured by DATA_DIR alone. */
function runSeed(dataDir: string): Promise<SeedRun> {
  const child = spawn(process.execPath, ['--expose-gc', SEED_ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A bound on a hung seed, not a speed test: on a busy two-core machine it has taken over 90 s.
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Every listed plugin, page by page. */
async function allListedPlugins(base: string): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const page = await api(base, 'GET', `/api/v1/plugins?limit=10&sort=name${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor !== null);
  return items;
}

describe('npm run seed: a demo catalog for an empty registry', () => {
  let dataDir: string;
  let first: SeedRun;
  let second: SeedRun;
  let registry: RunningRegistry;
  let listed: Json[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-seed-'));
    first = await runSeed(dataDir);
    // Before the registry starts: PGlite lets one process at a time open the database.
    second = await runSeed(dataDir);
    registry = await startRegistry({}, { dataDir });
    listed = await allListedPlugins(registry.url);
  }, 540_000);
  afterAll(async () => {
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 0 with a summary of what it made and how to start the registry', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Seeded \d+ plugins, \d+ versions, [\d ]+ downloads over 56 days/);
    expect(first.stdout).toContain('Start the registry with `npm start` and open http://localhost:8080/api/v1/plugins');
  });

  it('lists a few dozen plugins from several publishers, in every category, with the filters populated', async () => {
    expect(listed.length).toBeGreaterThanOrEqual(30);
    expect(first.stdout).toContain(`Seeded ${listed.length} plugins`);
    expect(new Set(listed.map((p) => p.namespace)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(listed.flatMap((p) => p.categories))).toEqual(new Set(CATEGORY_SLUGS));
    expect(new Set(listed.map((p) => p.latest.abiVersion))).toEqual(new Set(['0.1.0', '0.2.0', '0.2.1']));
    expect([...new Set(listed.flatMap((p) => p.latest.languages))].length).toBeGreaterThanOrEqual(3);
    expect(listed.every((p) => p.signed && p.description.length > 40 && p.keywords.length > 0)).toBe(true);

    const search = await api(registry.url, 'GET', '/api/v1/plugins?q=rate%20limit');
    expect(search.json.items.map((p: Json) => p.name)).toContain('rate-limiter');
    const categories = await api(registry.url, 'GET', '/api/v1/categories');
    expect(categories.json.categories.every((c: Json) => c.plugins > 0)).toBe(true);
  });

  it('gives every plugin several versions, all ready, with download history and the most downloaded first', async () => {
    const versionsSeen: number[] = [];
    for (const entry of listed) {
      const plugin = await api(registry.url, 'GET', `/api/v1/plugins/${entry.namespace}/${entry.name}`);
      expect(plugin.status).toBe(200);
      const versions: Json[] = plugin.json.versions;
      versionsSeen.push(versions.length);
      expect(versions.length, `${entry.namespace}/${entry.name}`).toBeGreaterThanOrEqual(2);
      expect(versions.every((v) => v.status === 'ready'), `${entry.namespace}/${entry.name}`).toBe(true);
      expect(versions.reduce((n, v) => n + v.downloads, 0)).toBe(entry.downloads);
      expect(entry.downloads).toBeGreaterThan(0);
    }
    expect(versionsSeen.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(listed.length * 2.5);

    const popular = (await api(registry.url, 'GET', '/api/v1/plugins?limit=5')).json.items as Json[];
    const downloads = popular.map((p) => p.downloads as number);
    expect(downloads).toEqual([...downloads].sort((a, b) => b - a));
    expect(downloads[0]).toBeGreaterThan(5 * listed.at(-1)!.downloads);
    expect(popular[0]!.recentDownloads).toBeGreaterThan(0);
  });

  it('backdates the download history over the past weeks, as the statistics show it', async () => {
    const top = listed.reduce((a, b) => (b.downloads > a.downloads ? b : a));
    const stats = await api(registry.url, 'GET', `/api/v1/plugins/${top.namespace}/${top.name}/stats`);
    expect(stats.status).toBe(200);
    const days: Json[] = stats.json.total.series;
    expect(days.length).toBe(30);
    expect(days.every((d) => d.downloads > 0)).toBe(true);
    const summary = await api(registry.url, 'GET', '/api/v1/stats/summary');
    const seeded = Number(/([\d ]+) downloads over/.exec(first.stdout)![1]!.replaceAll(' ', ''));
    expect(summary.json.downloads).toBeGreaterThanOrEqual(seeded);
    expect(listed.reduce((n, p) => n + p.downloads, 0)).toBe(seeded);
  });

  it('spreads the releases over past weeks, matching the history, so that sort=recent means something', async () => {
    const now = Date.now();
    const released = listed.map((p) => Date.parse(p.updatedAt));
    // The newest release of every plugin is from 2 to 21 days back (UTC days); none is "just now".
    expect(released.every((t) => t < now - 86_400_000 && t > now - 60 * 86_400_000)).toBe(true);
    const recent = (await api(registry.url, 'GET', '/api/v1/plugins?sort=recent&limit=100')).json.items as Json[];
    const order = recent.map((p) => Date.parse(p.updatedAt));
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(order[0]! - order.at(-1)!).toBeGreaterThan(7 * 86_400_000);
    // A version's ready time is its release time, and no download predates it by a day.
    const top = listed.reduce((a, b) => (b.downloads > a.downloads ? b : a));
    const plugin = (await api(registry.url, 'GET', `/api/v1/plugins/${top.namespace}/${top.name}`)).json;
    const newest = plugin.versions.find((v: Json) => v.version === top.latestVersion);
    const stats = await api(registry.url, 'GET', `/api/v1/plugins/${top.namespace}/${top.name}/stats`);
    const series: Json[] = stats.json.versions.find((v: Json) => v.version === top.latestVersion).series;
    const firstDownload = series.find((d) => d.downloads > 0)!.start as string;
    expect(firstDownload >= newest.readyAt.slice(0, 10)).toBe(true);
  });

  it('serves each module with the digest its version states', async () => {
    for (const entry of listed.slice(0, 6)) {
      const version = await api(registry.url, 'GET', `/api/v1/plugins/${entry.namespace}/${entry.name}/versions/${entry.latestVersion}`);
      const module = await api(registry.url, 'GET', `/api/v1/plugins/${entry.namespace}/${entry.name}/versions/${entry.latestVersion}/module.wasm`);
      expect(module.status).toBe(200);
      expect(`sha256:${createHash('sha256').update(module.bytes).digest('hex')}`).toBe(version.json.digest);
      expect(version.json.digest).toBe(entry.latest.digest);
      expect(version.json).toMatchObject({ status: 'ready', analysis: { envoyLoads: true, warnings: [], rejections: [] } });
    }
  });

  it('yanks a version and deprecates a plugin, as registries in use have them', async () => {
    const apiKeyAuth = await api(registry.url, 'GET', '/api/v1/plugins/acme/api-key-auth');
    expect(apiKeyAuth.json.versions.find((v: Json) => v.version === '1.1.0')).toMatchObject({ yanked: true, yankReason: expect.stringContaining('1.1.1') });
    expect(listed.find((p) => p.name === 'api-key-auth')!.latestVersion).toBe('1.1.1');
    expect(listed.find((p) => p.name === 'jwt-auth')!.deprecation).toMatchObject({ message: expect.stringContaining('acme/oidc-gateway') });
  });

  it('revokes the admin token it used, so that the first `npm start` still prints one', async () => {
    const tokens = await api(registry.url, 'GET', '/api/v1/tokens', { token: registry.adminToken });
    expect(tokens.json).toEqual([expect.objectContaining({ name: 'npm run seed', admin: true, revokedAt: expect.any(String) })]);
  });

  it('refuses to seed a registry that has plugins, and changes nothing', async () => {
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already has plugins');
    expect(second.stderr).toContain('DATA_DIR=');
    expect(second.stdout).not.toContain('Publishing');
    expect(listed.length).toBe(Number(/Seeded (\d+) plugins/.exec(first.stdout)![1]));
    const tokens = await api(registry.url, 'GET', '/api/v1/tokens', { token: registry.adminToken });
    expect(tokens.json).toHaveLength(1);
  });

  it('says to stop the server when the registry holds the embedded database', async () => {
    const whileRunning = await runSeed(dataDir);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toContain('Stop npm start first');
    // Nothing but the registry's own files (the lock is the running registry's), no temporary uploads.
    expect((await readdir(dataDir)).sort()).toEqual(['keys', 'pglite', 'pglite.lock', 'storage']);
    expect((await storedFiles(join(dataDir, 'storage'))).every((file) => file.startsWith('blobs/sha256/'))).toBe(true);
  });
});
