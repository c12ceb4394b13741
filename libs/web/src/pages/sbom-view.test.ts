import { describe, expect, it } from 'vitest';
import { licenseText, SBOM_COMPONENTS_SHOWN, sbomComponents, sbomView, type CycloneDxBom } from './sbom-view.js';

/** The shape the registry's SBOM step writes (libs/sbom), with a hostile component name. */
const BOM: CycloneDxBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  metadata: {
    timestamp: '2026-11-24T09:51:37.714Z',
    tools: { components: [{ type: 'application', name: 'wasm-plugin-registry', version: '0.1.0' }] },
    component: { type: 'application', group: 'acme', name: 'jwt-auth', version: '1.1.0', licenses: [{ license: { id: 'Apache-2.0' } }] },
    properties: [{ name: 'wasm-registry:declared-dependencies:file', value: 'Cargo.lock' }],
  },
  components: [
    { type: 'library', name: 'proxy-wasm', version: '0.2.2', purl: 'pkg:cargo/proxy-wasm@0.2.2', licenses: [{ license: { id: 'Apache-2.0' } }] },
    { type: 'library', name: '<script>alert(1)</script>', version: '1.0.0', purl: 'pkg:cargo/evil@1.0.0', licenses: [{ expression: 'MIT OR Apache-2.0' }] },
    {
      type: 'library',
      group: '@types',
      name: 'node',
      version: '22.0.0',
      purl: 'pkg:npm/%40types/node@22.0.0',
      scope: 'excluded',
      components: [{ type: 'file', name: 'index.d.ts' }],
    },
  ],
};

const LINKS = { json: '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/sbom', xml: null };

describe('sbomView', () => {
  it('lists every component, nested ones too, with name, version, purl, license and type', () => {
    const markup = sbomView(BOM, LINKS).value;
    expect(markup).toContain('<summary>SBOM: 4 components</summary>');
    const rows = [...markup.matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><td><code class="purl">(.*?)<\/code><\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([
      ['proxy-wasm', '0.2.2', 'pkg:cargo/proxy-wasm@0.2.2', 'Apache-2.0', 'library'],
      ['&lt;script&gt;alert(1)&lt;/script&gt;', '1.0.0', 'pkg:cargo/evil@1.0.0', 'MIT OR Apache-2.0', 'library'],
      ['@types/node', '22.0.0', 'pkg:npm/%40types/node@22.0.0', '<span class="muted">not stated</span>', 'library <span class="badge">development only</span>'],
      ['index.d.ts', '', '', '<span class="muted">not stated</span>', 'file'],
    ]);
    expect(markup).toContain('<table id="sbom-components">');
  });

  it('escapes a component name that holds markup: no script reaches the page', () => {
    const markup = sbomView(BOM, LINKS).value;
    expect(markup).not.toContain('<script>');
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is a closed <details> (it opens without a script) with the subject, the tool and the declared files', () => {
    const markup = sbomView(BOM, LINKS).value;
    expect(markup).toMatch(/^<details id="sbom">\n<summary>/);
    expect(markup).toContain('describing <strong>acme/jwt-auth</strong> 1.1.0 (Apache-2.0)');
    expect(markup).toContain('made by wasm-plugin-registry 0.1.0');
    expect(markup).toContain("the publisher's <code>Cargo.lock</code>");
  });

  it('links the JSON, and says how to get XML when no plain link can', () => {
    const markup = sbomView(BOM, LINKS).value;
    expect(markup).toContain('<a id="sbom-json" href="/api/v1/plugins/acme/jwt-auth/versions/1.1.0/sbom" type="application/vnd.cyclonedx+json">JSON</a>');
    expect(markup).not.toContain('id="sbom-xml"');
    expect(markup).toContain('<code>Accept: application/vnd.cyclonedx+xml</code>');
    expect(sbomView(BOM, { ...LINKS, xml: '/x.xml' }).value).toContain('<a id="sbom-xml" href="/x.xml"');
  });

  it('lists the first components of a large SBOM and says how many more the documents hold', () => {
    const components = Array.from({ length: 20_000 }, (_, i) => ({ type: 'library', name: `crate-${i}`, version: '1.0.0', purl: `pkg:cargo/crate-${i}@1.0.0` }));
    const markup = sbomView({ ...BOM, components }, LINKS).value;
    expect(markup).toContain('SBOM: 20000 components');
    expect(markup).toContain(`pkg:cargo/crate-${SBOM_COMPONENTS_SHOWN - 1}@1.0.0`);
    expect(markup).not.toContain(`pkg:cargo/crate-${SBOM_COMPONENTS_SHOWN}@1.0.0`);
    expect(markup).toContain('…and 19,800 more components, in the JSON and XML below.');
    expect(markup.length).toBeLessThan(100_000);
  });

  it('says so in the table when there are no components', () => {
    const markup = sbomView({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [], metadata: { properties: [{ name: 'wasm-registry:declared-dependencies', value: 'none' }] } }, LINKS).value;
    expect(markup).toContain('<summary>SBOM: 0 components</summary>');
    // The table is still there (a reader opening the SBOM finds it), with one row saying why it is empty.
    expect(markup).toContain('<table id="sbom-components">');
    expect(markup).toContain('<tr><td colspan="5" class="empty-row">No third-party components. The publisher declared no dependencies');
  });

  it('reads licenses by id, name or expression, and survives odd input', () => {
    expect(licenseText([{ license: { id: 'MIT' } }, { license: { name: 'Custom' } }])).toBe('MIT, Custom');
    expect(licenseText(undefined)).toBe('');
    expect(sbomComponents({ components: [null as never, { name: 'a' }] })).toEqual([{ name: 'a' }]);
    expect(sbomComponents({})).toEqual([]);
  });
});
