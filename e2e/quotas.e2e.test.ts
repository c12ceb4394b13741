import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, DATABASE_CONFIGURATIONS, expectProblem, settledVersion, type Json } from './support.js';

/**
 * A publisher may not grow the lists every reader pays for without bound: the plugin page lists its
 * versions, the namespace page its plugins. Small quotas here; the defaults are in the README.
 */
const QUOTAS = { MAX_VERSIONS_PER_PLUGIN: '3', MAX_PLUGINS_PER_NAMESPACE: '2' };


describe.each(DATABASE_CONFIGURATIONS)('publishing quotas on %s', (_name, setUp) => {
  let registry: RunningRegistry;
  let stopDatabase: () => Promise<void>;
  let admin: string;
  const publish = async (plugin: string, version: string, tag = `${plugin}-${version}`) =>
    api(registry.url, 'PUT', `/api/v1/plugins/quota/${plugin}/versions/${version}`, { token: admin, body: await proxyWasmFilter(tag) });
  const versionsOf = async (plugin: string): Promise<string[]> =>
    (await api(registry.url, 'GET', `/api/v1/plugins/quota/${plugin}`)).json.versions.map((v: Json) => v.version).sort();

  beforeAll(async () => {
    const database = await setUp();
    stopDatabase = database.stop;
    registry = await startRegistry({ ...database.env, ...QUOTAS });
    admin = registry.adminToken;
    expect((await api(registry.url, 'PUT', '/api/v1/namespaces/quota', { token: admin })).status).toBe(201);
  });

  afterAll(async () => {
    await registry?.stop();
    await stopDatabase?.();
  });

  it('refuses a version past MAX_VERSIONS_PER_PLUGIN with 409 quota_exceeded, and stores nothing of it', async () => {
    for (const v of ['1.0.0', '1.0.1', '1.0.2']) expect((await publish('many', v)).status).toBe(202);
    const refused = await publish('many', '1.0.3');
    expectProblem(refused, 409, 'quota_exceeded');
    expect(refused.json).toMatchObject({ quota: 'versions_per_plugin', limit: 3 });
    expect(refused.json.detail).toContain('MAX_VERSIONS_PER_PLUGIN');
    expect(await versionsOf('many')).toEqual(['1.0.0', '1.0.1', '1.0.2']);
    // The plugin's `versions` link lists the same versions on their own.
    const link = (await api(registry.url, 'GET', '/api/v1/plugins/quota/many')).json.links.versions as string;
    const listed = (await (await fetch(link)).json()) as Json;
    expect(listed.items.map((v: Json) => v.version)).toEqual(['1.0.2', '1.0.1', '1.0.0']);
    // The refused module was not kept either: it is not reachable by digest.
    const refusedDigest = createHash('sha256').update(await proxyWasmFilter('many-1.0.3')).digest('hex');
    expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/sha256:${refusedDigest}`), 404, 'blob_not_found');
    // At the limit, re-sending the bytes of an existing version is still the idempotent 200.
    expect((await publish('many', '1.0.0')).status).toBe(200);
  });

  it('counts concurrent publishes one after another: with one slot left, exactly one of five gets it', async () => {
    for (const v of ['2.0.0', '2.0.1']) expect((await publish('racing', v)).status).toBe(202);
    const modules = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((t) => proxyWasmFilter(`racing-${t}`)));
    const answers = await Promise.all(
      modules.map((body, i) => api(registry.url, 'PUT', `/api/v1/plugins/quota/racing/versions/3.0.${i}`, { token: admin, body })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.json.code).toBe('quota_exceeded');
    const racing = await versionsOf('racing');
    expect(racing).toHaveLength(3);
    for (const v of racing) expect((await settledVersion(registry.url, 'quota', 'racing', v)).status).toBe('ready');
  });

  it('frees a slot when an admin deletes a version nobody downloaded; the deleted number stays burned', async () => {
    expect((await api(registry.url, 'DELETE', '/api/v1/plugins/quota/many/versions/1.0.2', { token: admin })).status).toBe(204);
    expect((await publish('many', '1.0.3')).status).toBe(202);
    expect((await settledVersion(registry.url, 'quota', 'many', '1.0.3')).status).toBe('ready');
    expectProblem(await publish('many', '1.0.2'), 409, 'version_deleted');
  });

  it('refuses a plugin past MAX_PLUGINS_PER_NAMESPACE, by publishing or by describing it, and lists only what exists', async () => {
    // "many" and "racing" fill the namespace.
    const byPublish = await publish('third', '1.0.0');
    expectProblem(byPublish, 409, 'quota_exceeded');
    expect(byPublish.json).toMatchObject({ quota: 'plugins_per_namespace', limit: 2 });
    const byMetadata = await api(registry.url, 'PUT', '/api/v1/plugins/quota/third', { token: admin, json: { description: 'one too many' } });
    expectProblem(byMetadata, 409, 'quota_exceeded');
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/quota/third'), 404, 'plugin_not_found');
    // Describing a plugin that exists is not creating one.
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/quota/many', { token: admin, json: { description: 'still here' } })).status).toBe(200);
    const namespace = await api(registry.url, 'GET', '/api/v1/namespaces/quota');
    expect(namespace.json.plugins.map((p: Json) => p.name)).toEqual(['many', 'racing']);
    // The namespace page names each plugin's latest version without listing every version.
    expect(namespace.json.plugins.map((p: Json) => p.latestVersion)).toEqual(['1.0.3', expect.stringMatching(/^3\.0\.\d$/)]);
  });
});
