import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_LIMITS } from '../libs/analysis/index.js';
import { customSectionFloodModule, EMPTY_MODULE, manyImportsModule, producersBombModule } from '../testing/hostile-modules.js';
import { startLivenessProbe, type LivenessProbe, type ProbeResult } from '../testing/liveness-probe.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

/**
 * Issue 11: a hostile publisher's module must not make the analysis report,
 * or anything derived from it, large, nor freeze the API while it is
 * processed or viewed. The embedded configuration, as `npm start` runs it:
 * PGlite and the pipeline in the API process. A probe asks /health/live every
 * 50 ms from its own thread; a freeze was 8-15 s before the fix, and no probe
 * may now wait a second.
 */

const MiB = 1024 * 1024;
/** Anything a list or search page answers about these plugins stays far below this. */
const SMALL_ANSWER = 64 * 1024;

interface Hostile {
  name: string;
  bytes: Buffer;
  /** What the stored report must say it left out. */
  omitted: Record<string, number>;
  shortenedStrings: number;
  totals: Partial<Record<'imports' | 'customSections', number>>;
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

function expectNoFreeze(result: ProbeResult): void {
  expect(result.failures).toEqual([]);
  expect(result.count).toBeGreaterThan(20);
  expect(result.worstMs).toBeLessThan(1_000);
}

describe('hostile modules on the embedded registry', () => {
  let modules: Hostile[];

  beforeAll(() => {
    modules = [
      // 20 MiB of producers language string.
      { name: 'producers-bomb', bytes: producersBombModule(20 * MiB), omitted: {}, shortenedStrings: 1, totals: { imports: 0, customSections: 1 } },
      // 1,000,000 empty custom sections in 4 MB.
      {
        name: 'custom-sections',
        bytes: customSectionFloodModule(1_000_000),
        omitted: { customSections: 1_000_000 - REPORT_LIMITS.maxCustomSections },
        shortenedStrings: 0,
        totals: { imports: 0, customSections: 1_000_000 },
      },
      // 100,000 imports no host provides, in 2 MB.
      {
        name: 'many-imports',
        bytes: manyImportsModule(100_000),
        omitted: {
          imports: 100_000 - REPORT_LIMITS.maxImports,
          'proxyWasm.unknownImports': 100_000 - REPORT_LIMITS.maxNameList,
          findings: 100_000 - REPORT_LIMITS.maxFindingsPerCode,
        },
        shortenedStrings: 0,
        totals: { imports: 100_000, customSections: 0 },
      },
    ];
  });

  /** Publishes all three at once (the pipeline runs two at a time) and waits until each has left pending. */
  async function publishAll(registry: RunningRegistry): Promise<Map<string, Json>> {
    const published = await Promise.all(
      modules.map((m) => api(registry.url, 'PUT', `/api/v1/plugins/hostile/${m.name}/versions/1.0.0`, { body: m.bytes, token: registry.adminToken })),
    );
    for (const response of published) expect(response.status, response.text).toBe(202);
    const versions = await Promise.all(modules.map((m) => settledVersion(registry.url, 'hostile', m.name, '1.0.0')));
    return new Map(modules.map((m, i) => [m.name, versions[i]!]));
  }

  /** The stored report: bounded, and saying exactly what it left out. */
  async function expectBoundedReport(registry: RunningRegistry, m: Hostile): Promise<Json> {
    const analysis = await api(registry.url, 'GET', `/api/v1/plugins/hostile/${m.name}/versions/1.0.0/analysis`);
    expect(analysis.status).toBe(200);
    const report = analysis.json.report;
    expect(bytesOf(report)).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
    expect(report).toMatchObject({ reportVersion: 2, truncated: true, shortenedStrings: m.shortenedStrings, totals: m.totals });
    expect(report.omitted).toMatchObject(m.omitted);
    if (Object.keys(m.omitted).length === 0) expect(report.omitted).toEqual({});
    const codes = [...analysis.json.rejections, ...analysis.json.warnings].map((f: Json) => f.code);
    expect(codes).toContain('excessive_metadata');
    return analysis.json;
  }

  /** The anonymous pages and lists, each small whatever the modules hold. */
  async function viewEverything(registry: RunningRegistry): Promise<void> {
    for (const path of ['/', '/search?q=hostile', '/search?q=bomb', '/api/v1/plugins', '/api/v1/plugins?q=hostile', '/namespaces/hostile', '/api/v1/namespaces/hostile']) {
      const page = await api(registry.url, 'GET', path);
      expect(page.status, path).toBe(200);
      expect(page.bytes.length, path).toBeLessThan(SMALL_ANSWER);
    }
    for (const m of modules) {
      const plugin = await api(registry.url, 'GET', `/api/v1/plugins/hostile/${m.name}`);
      expect(plugin.status).toBe(200);
      expect(plugin.bytes.length).toBeLessThan(SMALL_ANSWER);
      const version = await api(registry.url, 'GET', `/api/v1/plugins/hostile/${m.name}/versions/1.0.0`);
      expect(version.bytes.length).toBeLessThan(SMALL_ANSWER);
      const page = await api(registry.url, 'GET', `/plugins/hostile/${m.name}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Shortened report.');
      expect(page.bytes.length).toBeLessThan(REPORT_LIMITS.maxReportBytes * 2);
    }
  }

  describe('with the default policy', () => {
    let registry: RunningRegistry;
    let probe: LivenessProbe | undefined;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(async () => {
      await probe?.stop();
      await registry?.stop();
    });

    it('rejects each as excessive metadata with a bounded report, and keeps answering while it processes and shows them', async () => {
      probe = await startLivenessProbe(`${registry.url}/health/live`);
      const versions = await publishAll(registry);
      for (const m of modules) {
        const version = versions.get(m.name)!;
        expect(version.status).toBe('rejected');
        expect(version.analysis.rejections.map((f: Json) => f.code)).toContain('excessive_metadata');
        expect(version.statusReason.length).toBeLessThanOrEqual(3 * REPORT_LIMITS.maxMessageLength + 100);
        const analysis = await expectBoundedReport(registry, m);
        expect(analysis.status).toBe('rejected');
      }
      // 100,000 unknown imports: ten findings and one counting the other 99,990, under the same code.
      const many = await api(registry.url, 'GET', '/api/v1/plugins/hostile/many-imports/versions/1.0.0/analysis');
      const unknown = many.json.rejections.filter((f: Json) => f.code === 'unknown_host_import');
      expect(unknown).toHaveLength(REPORT_LIMITS.maxFindingsPerCode + 1);
      expect(unknown.at(-1).message).toContain('99,990 more unknown_host_import findings');
      await viewEverything(registry);
      const result = await probe.stop();
      probe = undefined;
      expectNoFreeze(result);
    });

    it('declares at most 2,000 packages, refusing more with the field named, and keeps answering while it parses and builds them', async () => {
      const module = await proxyWasmFilter('declared');
      const publish = async (version: string, packages: number) => {
        const form = new FormData();
        form.append('module', new Blob([module], { type: 'application/wasm' }), 'module.wasm');
        form.append('purls', Array.from({ length: packages }, (_, i) => `pkg:cargo/crate-${i}@1.0.${i}`).join('\n'));
        const response = await fetch(`${registry.url}/api/v1/plugins/hostile/declared/versions/${version}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${registry.adminToken}` },
          body: form,
        });
        return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
      };
      probe = await startLivenessProbe(`${registry.url}/health/live`);
      const refused = await publish('1.0.0', 2_001);
      expectProblem(refused, 400, 'invalid_input');
      expect(refused.json.errors).toEqual([{ field: 'body.dependencies', message: 'purls.txt: declares 2001 packages; at most 2000 are accepted' }]);
      expect((await publish('1.0.1', 2_000)).status).toBe(202);
      expect((await settledVersion(registry.url, 'hostile', 'declared', '1.0.1')).status).toBe('ready');
      const sbom = await api(registry.url, 'GET', '/api/v1/plugins/hostile/declared/versions/1.0.1/sbom');
      expect(sbom.json.components).toHaveLength(2_000);
      expect((await api(registry.url, 'GET', '/plugins/hostile/declared')).text).toContain('…and 1,800 more components');
      const result = await probe.stop();
      probe = undefined;
      expectNoFreeze(result);
    });

    it('rejects the 8-byte empty module: it has no code to run', async () => {
      const response = await api(registry.url, 'PUT', '/api/v1/plugins/hostile/empty/versions/1.0.0', { body: EMPTY_MODULE, token: registry.adminToken });
      expect(response.status).toBe(202);
      const version = await settledVersion(registry.url, 'hostile', 'empty', '1.0.0');
      expect(version.status).toBe('rejected');
      expect(version.analysis.rejections.map((f: Json) => f.code)).toEqual(['no_code']);
      expect(version.statusReason).toContain('The module defines no function');
    });
  });

  describe('with excessive_metadata and unknown_host_import set to warn', () => {
    let registry: RunningRegistry;
    let probe: LivenessProbe | undefined;
    beforeAll(async () => {
      registry = await startRegistry({ ANALYSIS_POLICY: 'excessive_metadata=warn,unknown_host_import=warn' });
    });
    afterAll(async () => {
      await probe?.stop();
      await registry?.stop();
    });

    it('makes each ready with a bounded report, lists it with short fields, and keeps answering throughout', async () => {
      probe = await startLivenessProbe(`${registry.url}/health/live`);
      const versions = await publishAll(registry);
      for (const m of modules) {
        expect(versions.get(m.name)!.status).toBe('ready');
        const analysis = await expectBoundedReport(registry, m);
        expect(analysis.status).toBe('ready');
        const sbom = await api(registry.url, 'GET', `/api/v1/plugins/hostile/${m.name}/versions/1.0.0/sbom`);
        expect(sbom.status).toBe(200);
        expect(sbom.bytes.length).toBeLessThan(SMALL_ANSWER);
        for (const property of sbom.json.metadata.component.properties as { name: string; value: string }[]) {
          expect(property.value.length).toBeLessThanOrEqual(REPORT_LIMITS.maxStringLength * 2 + 1);
        }
        const signature = await api(registry.url, 'GET', `/api/v1/plugins/hostile/${m.name}/versions/1.0.0/signature`);
        expect(signature.status).toBe(200);
      }
      // The 20 MiB "language" is no language the search filter could match: it is not listed as one.
      const listed = await api(registry.url, 'GET', '/api/v1/plugins?namespace=hostile&sort=name');
      expect(listed.json.items.map((p: Json) => p.name)).toEqual(['custom-sections', 'many-imports', 'producers-bomb']);
      for (const item of listed.json.items) expect(item.latest.languages).toEqual([]);
      const sbom = await api(registry.url, 'GET', '/api/v1/plugins/hostile/producers-bomb/versions/1.0.0/sbom');
      const language = sbom.json.metadata.component.properties.find((p: Json) => p.name === 'wasm-registry:producers:language');
      expect(language.value.startsWith('aaaa')).toBe(true);
      expect(language.value.length).toBeLessThanOrEqual(REPORT_LIMITS.maxStringLength * 2 + 1);
      await viewEverything(registry);
      const result = await probe.stop();
      probe = undefined;
      expectNoFreeze(result);
    });
  });
});
