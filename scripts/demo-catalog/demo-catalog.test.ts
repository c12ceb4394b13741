import { createHash } from 'node:crypto';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { analyzeModule, HOST_FUNCTIONS, decide, DEFAULT_POLICY } from '../../libs/analysis/index.js';
import { CATEGORY_SLUGS, nameProblem, parsePluginMetadata, versionProblem } from '../../libs/domain/index.js';
import { DEMO_PLUGINS, NAMESPACES, projectLinks, TOOLCHAINS } from './catalog.js';
import { downloadHistory } from './download-history.js';
import { buildPluginModule, type PluginModuleSpec } from './plugin-module.js';

const specOf = (plugin: (typeof DEMO_PLUGINS)[number], version: string): PluginModuleSpec => ({
  plugin: `${plugin.namespace}/${plugin.name}`,
  version,
  abi: TOOLCHAINS[plugin.language].abi,
  toolchain: TOOLCHAINS[plugin.language],
  features: plugin.features,
  header: plugin.header,
});

describe('the demo catalog', () => {
  it('has a few dozen plugins in every category, from several publishers, with valid names, versions and metadata', () => {
    expect(DEMO_PLUGINS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(DEMO_PLUGINS.flatMap((p) => p.categories))).toEqual(new Set(CATEGORY_SLUGS));
    expect(new Set(DEMO_PLUGINS.map((p) => p.namespace))).toEqual(new Set(NAMESPACES));
    expect(new Set(DEMO_PLUGINS.map((p) => `${p.namespace}/${p.name}`)).size).toBe(DEMO_PLUGINS.length);
    for (const plugin of DEMO_PLUGINS) {
      expect(nameProblem('name', plugin.name)).toBeNull();
      expect(plugin.versions.length).toBeGreaterThanOrEqual(2);
      for (const version of plugin.versions) expect(versionProblem('version', version)).toBeNull();
      // Listed in release order, which is precedence order.
      expect([...plugin.versions].sort(semver.compare)).toEqual(plugin.versions);
      const { description, license, keywords, categories } = plugin;
      expect(() => parsePluginMetadata({ description, license, keywords, categories, ...projectLinks(plugin) })).not.toThrow();
      if (plugin.yank) expect(plugin.versions.slice(plugin.versions.indexOf(plugin.yank.version) + 1).some((v) => !semver.prerelease(v))).toBe(true);
    }
    expect(new Set(DEMO_PLUGINS.map((p) => TOOLCHAINS[p.language].abi))).toEqual(new Set(['0.1.0', '0.2.0', '0.2.1']));
  });

  it('builds every version into a distinct module the analysis accepts without a warning, with its ABI, language and imports', async () => {
    const digests = new Set<string>();
    for (const plugin of DEMO_PLUGINS) {
      for (const version of plugin.versions) {
        const spec = specOf(plugin, version);
        const bytes = await buildPluginModule(spec);
        digests.add(createHash('sha256').update(bytes).digest('hex'));
        const report = await analyzeModule(bytes);
        const where = `${spec.plugin}@${version}`;
        expect(decide(report.findings, DEFAULT_POLICY), where).toMatchObject({ status: 'ready', warnings: [] });
        expect(report.proxyWasm, where).toMatchObject({ abiVersion: spec.abi, unknownImports: [], envoy: { loads: true } });
        expect(report.producers?.language.map((l) => l.name), where).toEqual([spec.toolchain.language[0]]);
        for (const entry of report.imports.filter((i) => i.module === 'env')) expect(HOST_FUNCTIONS[spec.abi].has(entry.name), `${where} ${entry.name}`).toBe(true);
        expect(report.compatibility.map((c) => c.host), where).toEqual(expect.arrayContaining(['envoy', 'istio']));
      }
    }
    expect(digests.size).toBe(DEMO_PLUGINS.reduce((n, p) => n + p.versions.length, 0));
  });

  it('gives plugins different capabilities by what they do', async () => {
    const capabilities = async (name: string): Promise<string[]> => {
      const plugin = DEMO_PLUGINS.find((p) => p.name === name)!;
      const report = await analyzeModule(await buildPluginModule(specOf(plugin, plugin.versions[0]!)));
      return report.capabilities.map((c) => c.id);
    };
    expect(await capabilities('oidc-gateway')).toEqual(expect.arrayContaining(['http_calls', 'response_control', 'shared_data']));
    expect(await capabilities('prometheus-metrics')).toEqual(expect.arrayContaining(['metrics', 'properties']));
    expect(await capabilities('otel-tracer')).toEqual(expect.arrayContaining(['grpc_calls', 'shared_queues']));
    expect(await capabilities('b3-sampler')).not.toContain('http_calls');
    const mosn = DEMO_PLUGINS.find((p) => p.name === 'hello-world')!;
    const report = await analyzeModule(await buildPluginModule(specOf(mosn, '1.0.0')));
    expect(report.compatibility.map((c) => c.host)).toEqual(['envoy', 'istio', 'mosn']);
  });

  it('has the same download history every time: a few popular plugins, a long tail, quieter weekends, newer versions ahead', () => {
    const today = new Date('2026-03-20T15:00:00Z');
    const history = downloadHistory(DEMO_PLUGINS, today);
    expect(downloadHistory(DEMO_PLUGINS, today)).toEqual(history);
    const days = [...new Set(history.map((d) => d.day))].sort();
    expect(days.length).toBe(56);
    expect(days.at(-1)).toBe('2026-03-20');

    const byPlugin = new Map<string, number>();
    for (const d of history) byPlugin.set(d.plugin, (byPlugin.get(d.plugin) ?? 0) + d.count);
    const totals = [...byPlugin.values()].sort((a, b) => b - a);
    const total = totals.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20_000);
    expect(totals.slice(0, 5).reduce((a, b) => a + b, 0)).toBeGreaterThan(total * 0.35);
    expect(byPlugin.size).toBe(DEMO_PLUGINS.length);

    const perWeekday = [0, 0, 0, 0, 0, 0, 0];
    for (const d of history) perWeekday[new Date(`${d.day}T00:00:00Z`).getUTCDay()]! += d.count;
    expect(perWeekday[0]! + perWeekday[6]!).toBeLessThan(((perWeekday[2]! + perWeekday[3]!) * 0.8));

    const lastWeek = (plugin: string, version: string): number =>
      history.filter((d) => d.plugin === plugin && d.version === version && d.day > days[48]!).reduce((n, d) => n + d.count, 0);
    expect(lastWeek('prometheus-metrics', '2.1.0')).toBeGreaterThan(lastWeek('prometheus-metrics', '1.0.0'));
    expect(lastWeek('api-key-auth', '1.1.0')).toBeLessThan(lastWeek('api-key-auth', '1.1.1'));
  });
});
