import { describe, expect, it } from 'vitest';
import { inlineCode } from '../../test/inline-code.js';
import { scanPage, type ScanReportData } from './scan-page.js';

const REPORT: ScanReportData = {
  failOn: null,
  failed: false,
  summary: { references: 2, ok: 0, info: 1, warning: 0, critical: 1, problems: 1 },
  truncated: false,
  references: [
    {
      file: 'pasted',
      line: 12,
      host: 'istio',
      name: 'jwt <oci>',
      source: { kind: 'oci', url: 'oci://registry.example/ops/jwt:1.0.0' },
      version: { namespace: 'ops', plugin: 'jwt', version: '1.0.0' },
      level: 'critical',
      findings: [
        { level: 'ok', code: 'known_version', message: 'ops/jwt@1.0.0.' },
        { level: 'critical', code: 'sha256_module_digest_with_oci', message: 'sha256 is the module\'s <digest>.' },
      ],
    },
    { file: 'pasted', line: 30, host: 'envoy', name: 'local', source: { kind: 'file', path: '/etc/envoy/x.wasm' }, version: null, level: 'info', findings: [{ level: 'info', code: 'local_file', message: 'Loads the local file.' }] },
  ],
  problems: [{ file: 'pasted', document: 2, message: 'uses more than 100 aliases' }],
};

describe('the scan page', () => {
  it('shows the form with what was sent, and the report: each reference, its level, its findings, escaped', () => {
    const page = scanPage({ configuration: 'spec: {url: "<script>"}', envoy: '1.31', istio: '' }, { report: REPORT });
    expect(page).toContain('<textarea id="scan-configuration" name="configuration" rows="16" spellcheck="false" required>spec: {url: &quot;&lt;script&gt;&quot;}</textarea>');
    expect(page).toContain('<h2 id="scan-report-heading">2 Wasm module references</h2>');
    expect(page).toContain('<span class="badge bad">critical</span> jwt &lt;oci&gt; <span class="small muted">istio, pasted line 12</span>');
    expect(page).toContain('<a href="/plugins/ops/jwt/1.0.0">ops/jwt 1.0.0</a>');
    expect(page).toContain('<li><span class="badge bad">critical</span> sha256 is the module&#39;s &lt;digest&gt;.</li>');
    expect(page).toContain('<li>pasted (document 3): uses more than 100 aliases</li>');
    expect(page).toContain('value="1.31"');
  });

  it('says why nothing was scanned, and renders every state within the Content-Security-Policy', () => {
    const refused = scanPage({ configuration: '', envoy: 'x', istio: '' }, { refusal: 'query.envoy: must be an envoy version such as 1.31' });
    expect(refused).toContain('<strong>Not scanned:</strong> query.envoy: must be an envoy version such as 1.31');
    for (const page of [refused, scanPage({ configuration: '', envoy: '', istio: '' }, null), scanPage({ configuration: 'a', envoy: '', istio: '' }, { report: REPORT })]) {
      expect(inlineCode(page)).toEqual([]);
    }
  });
});
