import { describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../../analysis/index.js';
import { analysisUnavailable, analysisView, type AnalysisAnswer } from './analysis-view.js';

/** A Rust filter at ABI 0.2.1, as `GET …/analysis` answers for it (trimmed to what the view reads). */
function answer(overrides: Partial<AnalysisAnswer> = {}, report: Partial<AnalysisReport> = {}): AnalysisAnswer {
  return {
    status: 'ready',
    analyzedAt: '2026-11-24T09:51:38.066Z',
    rejections: [],
    warnings: [],
    report: {
      kind: 'module',
      size: 1565,
      valid: true,
      validationError: null,
      functionCount: 14,
      imports: [
        { module: 'env', name: 'proxy_log', kind: 'function' },
        { module: 'env', name: 'proxy_define_metric', kind: 'function' },
      ],
      exports: [
        { name: 'memory', kind: 'memory' },
        { name: 'proxy_abi_version_0_2_1', kind: 'function' },
      ],
      producers: { language: [{ name: 'Rust', version: '' }], processedBy: [{ name: 'rustc', version: '1.83.0 (90b35a623 2024-11-26)' }], sdk: [{ name: 'proxy-wasm', version: '0.2.2' }] },
      proxyWasm: {
        declaredAbiVersions: ['0.2.1'],
        abiVersion: '0.2.1',
        nonStandardAbiMarkers: [],
        legacyUnversioned: false,
        allocator: 'proxy_on_memory_allocate',
        exportsMemory: true,
        entryPoint: '_initialize',
        hostImports: ['env.proxy_log', 'env.proxy_define_metric'],
        unknownImports: [],
        wasiImports: [],
        callbacks: { http: ['proxy_on_request_headers', 'proxy_on_response_headers'], tcp: [], lifecycle: ['proxy_on_context_create', 'proxy_on_vm_start'], other: ['proxy_on_tick'] },
        filterTypes: ['http'],
        envoy: { loads: true, reasons: [] },
      },
      compatibility: [
        { host: 'envoy', versions: '>=1.17', reason: 'Declares Proxy-Wasm ABI 0.2.1.', source: 'https://www.envoyproxy.io/docs/envoy/v1.17.4/; proxy-wasm/spec CHANGELOG.md' },
        { host: 'istio', versions: '>=1.8', reason: 'Inferred from the C++ host.', source: '' },
      ],
      capabilities: [{ id: 'metrics', description: "Defines and updates metrics that appear in the proxy's own statistics.", functions: ['env.proxy_define_metric'] }],
      findings: [],
      component: null,
      ...report,
    },
    ...overrides,
  };
}

/** What a reader sees: tags gone (as spaces), entities decoded, spaces collapsed. */
const text = (markup: string): string =>
  markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([.,;:)])/g, '$1');
const URL = '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/analysis';

describe('analysisView', () => {
  it('says first whether Envoy loads the module, and at which ABI version', () => {
    const markup = analysisView(answer(), URL).value;
    expect(markup).toMatch(/^<section id="analysis" aria-labelledby="analysis-heading">\n<h2 id="analysis-heading">Analysis<\/h2>/);
    expect(text(markup)).toContain('Envoy loads and starts this module (Proxy-Wasm ABI 0.2.1).');
    expect(text(markup)).toContain('Proxy-Wasm ABI 0.2.1');
    expect(text(markup)).toContain('Fits HTTP filter');
    expect(text(markup)).toContain('Entry point _initialize (reactor)');
    expect(text(markup)).toContain('No warnings.');
  });

  it('shows where it runs as a table, linking the URLs among its sources', () => {
    const markup = analysisView(answer(), URL).value;
    expect(markup).toContain('<tr><td>envoy</td><td><code>&gt;=1.17</code></td><td>Declares Proxy-Wasm ABI 0.2.1.');
    expect(markup).toContain('<a href="https://www.envoyproxy.io/docs/envoy/v1.17.4/" rel="nofollow noopener">www.envoyproxy.io/docs/envoy/v1.17.4/</a>; proxy-wasm/spec CHANGELOG.md');
    expect(markup).toContain('<tr><td>istio</td><td><code>&gt;=1.8</code></td><td>Inferred from the C++ host.</td></tr>');
  });

  it('lists the callbacks, the capabilities with the imports that grant them, and the toolchain', () => {
    const markup = analysisView(answer(), URL).value;
    expect(markup).toContain('<dt>HTTP</dt><dd><code>proxy_on_request_headers</code>, <code>proxy_on_response_headers</code></dd>');
    expect(markup).toContain('<dt>TCP</dt><dd><span class="muted">none</span></dd>');
    expect(markup).toContain('<dt>Other</dt><dd><code>proxy_on_tick</code></dd>');
    expect(markup).toContain("<tr><td>Metrics</td><td>Defines and updates metrics that appear in the proxy&#39;s own statistics.</td><td><code>env.proxy_define_metric</code></td></tr>");
    expect(text(markup)).toContain('Toolchain Language: Rust; Built with: rustc 1.83.0 (90b35a623 2024-11-26); SDK: proxy-wasm 0.2.2');
    expect(text(markup)).toContain('Imports (2) and exports (2)');
    expect(markup).toContain(`<a href="${URL}">The full report (JSON)</a>`);
    // Readable, not the report dumped as JSON.
    expect(markup).not.toContain('"abiVersion"');
  });

  it('shows rejections prominently and warnings, escaping their messages', () => {
    const rejection = { code: 'unknown_host_import' as const, severity: 'error' as const, message: 'env.proxy_made_up is not a Proxy-Wasm host function <b>', host: 'envoy', offset: 50 };
    const warning = { code: 'requires_recent_host' as const, severity: 'warning' as const, message: 'Older Istio refuses it.' };
    const info = { code: 'malformed_custom_section' as const, severity: 'info' as const, message: 'The name section is cut short.' };
    const markup = analysisView(
      answer(
        { status: 'rejected', rejections: [rejection], warnings: [warning] },
        {
          findings: [rejection, warning, info],
          compatibility: [],
          proxyWasm: { ...answer().report.proxyWasm!, envoy: { loads: false, reasons: ['env.proxy_made_up is not linked'] } },
        },
      ),
      URL,
    ).value;
    expect(markup).toContain(`<div class="notice bad" role="alert"><strong>Rejected by the registry's checks:</strong>`);
    expect(markup).toContain('<li><code>unknown_host_import</code> <span class="badge">envoy</span>: env.proxy_made_up is not a Proxy-Wasm host function &lt;b&gt; <span class="muted small">(at byte 50)</span></li>');
    expect(text(markup)).toContain('Envoy will refuse this module. env.proxy_made_up is not linked');
    expect(text(markup)).toContain('Warning: requires_recent_host: Older Istio refuses it.');
    // Findings the policy did not list are still shown, once.
    expect(text(markup)).toContain('Notes malformed_custom_section: The name section is cut short.');
    expect(markup.match(/requires_recent_host/g)).toHaveLength(1);
    expect(text(markup)).toContain('No known host can run this module.');
  });

  it('explains a module that is not a Proxy-Wasm plugin, and a component with its WIT world', () => {
    const plain = analysisView(answer({}, { proxyWasm: null, producers: null, capabilities: [] }), URL).value;
    expect(text(plain)).toContain('Not a Proxy-Wasm plugin');
    expect(text(plain)).toContain('not recorded (no producers section)');
    expect(text(plain)).toContain('It imports no sensitive host function.');
    const component = analysisView(
      answer({}, { kind: 'component', proxyWasm: null, component: { wit: 'world plugin { export run: func(); }', imports: ['wasi:cli/environment@0.2.0'], exports: ['run'] } }),
      URL,
    ).value;
    expect(text(component)).toContain('A WebAssembly component');
    expect(component).toContain('<pre>world plugin { export run: func(); }</pre>');
  });

  it('says what a shortened report left out, and shows how many of each list it lists', () => {
    const markup = analysisView(
      answer({}, {
        truncated: true,
        omitted: { imports: 99_998, customSections: 999_900, 'proxyWasm.unknownImports': 99_800 },
        shortenedStrings: 1,
        totals: { imports: 100_000, exports: 2, memories: 0, tables: 0, customSections: 1_000_000, findings: 100_004 },
      }),
      URL,
    ).value;
    expect(text(markup)).toContain(
      'Shortened report. The module holds more than the registry keeps in a report, so some of it is left out: 99,998 imports; 999,900 custom sections; 99,800 unknown imports; 1 string cut short (ending with “…”).',
    );
    expect(text(markup)).toContain('Imports (2 of 100,000) and exports (2)');
  });

  it('says nothing about shortening for a whole report', () => {
    const markup = analysisView(answer({}, { truncated: false, omitted: {}, shortenedStrings: 0 }), URL).value;
    expect(markup).not.toContain('Shortened report');
    expect(text(markup)).toContain('Imports (2) and exports (2)');
  });

  it('survives a stored report missing newer fields', () => {
    const markup = analysisView({ status: 'ready', analyzedAt: '2026-01-01T00:00:00.000Z', rejections: [], warnings: [], report: { kind: 'module' } }, URL).value;
    expect(markup).toContain('<section id="analysis"');
    expect(markup).not.toContain('undefined');
  });

  it('has an unavailable state with the same section id', () => {
    expect(analysisUnavailable('Not analysed yet.').value).toContain('<section id="analysis" aria-labelledby="analysis-heading"><h2 id="analysis-heading">Analysis</h2><p class="muted">Not analysed yet.</p>');
  });
});
