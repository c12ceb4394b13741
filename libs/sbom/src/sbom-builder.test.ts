import { afterAll, describe, expect, it } from 'vitest';
import { buildSbom, type SbomInput } from './build-sbom.js';
import { parseDeclaredDependencyFiles, parsePurlList } from './dependencies.js';
import { SbomBuilder } from './sbom-builder.js';

// Runs the compiled worker (dist/), as the pipeline does: `npm test` builds first.
const input = (overrides: Partial<SbomInput> = {}): SbomInput => ({
  namespace: 'acme',
  plugin: 'header-filter',
  version: '1.2.0',
  digest: `sha256:${'a'.repeat(64)}`,
  publishedAt: new Date('2025-03-01T12:00:00.000Z'),
  license: 'Apache-2.0',
  description: null,
  homepage: null,
  repository: null,
  downloadUrl: `https://registry.example.com/api/v1/blobs/sha256:${'a'.repeat(64)}`,
  analysis: null,
  declared: null,
  registry: { name: 'wasm-plugin-registry', version: '0.1.0' },
  ...overrides,
});

describe('SbomBuilder: buildSbom in a worker thread', () => {
  const builder = new SbomBuilder();
  afterAll(() => builder.close());

  it('gives the same validated document as buildSbom, for several builds at once', async () => {
    const purls = parsePurlList(Array.from({ length: 500 }, (_, i) => `pkg:cargo/crate-${i}@1.0.${i}`).join('\n'));
    if (!purls.ok) throw new Error(purls.error.message);
    const inputs = [input(), input({ declared: purls.value }), input({ version: '1.3.0' })];
    const built = await Promise.all(inputs.map((i) => builder.build(i)));
    for (const [i, b] of built.entries()) {
      const direct = await buildSbom(inputs[i]!);
      expect(b).toEqual({ json: direct.json, xml: direct.xml });
    }
    expect(JSON.parse(built[1]!.json).components).toHaveLength(500);
  });

  it('rejects with the builder\'s own message for bad input, and keeps working', async () => {
    await expect(builder.build(input({ namespace: 'Not A Name' }))).rejects.toThrow(/cannot build the SBOM: namespace/);
    const again = await builder.build(input());
    expect(JSON.parse(again.json).bomFormat).toBe('CycloneDX');
  });

  it('parses declared lockfiles as parseDeclaredDependencyFiles does, bad ones included', async () => {
    const files = [
      { filename: 'purls.txt', content: Array.from({ length: 300 }, (_, i) => `pkg:npm/pkg-${i}@1.0.0`).join('\n') },
      { filename: 'go.mod', content: Buffer.from('module example.com/filter\n\ngo 1.21\n\nrequire github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0\n') },
    ];
    expect(await builder.parseDependencies(files)).toEqual(parseDeclaredDependencyFiles(files));
    const bad = [{ filename: 'Cargo.lock', content: '[[package]]\nname = ' }];
    const refused = await builder.parseDependencies(bad);
    expect(refused).toEqual(parseDeclaredDependencyFiles(bad));
    expect(refused.ok).toBe(false);
  });

  it('fails the builds in flight when closed, and starts a new worker for the next', async () => {
    const inFlight = expect(builder.build(input())).rejects.toThrow('the SBOM builder was closed');
    await builder.close();
    await inFlight;
    expect(JSON.parse((await builder.build(input())).json).metadata.component.name).toBe('header-filter');
  });
});
