import { html, type Html } from '../html.js';
import { layout } from '../layout.js';

/** A scan report as the API answers it (ScanReportView), the parts the page shows. */
export interface ScanReportData {
  failOn: string | null;
  failed: boolean;
  summary: { references: number; ok: number; info: number; warning: number; critical: number; problems: number };
  truncated: boolean;
  references: {
    file: string;
    line: number;
    host: string;
    name: string;
    source: { kind: string; url?: string; path?: string };
    version: { namespace: string; plugin: string; version: string } | null;
    level: string;
    findings: { level: string; code: string; message: string }[];
  }[];
  problems: { file: string; document: number | null; message: string }[];
}

export interface ScanForm {
  configuration: string;
  envoy: string;
  istio: string;
}

const BADGE: Record<string, string> = { ok: 'ok', info: '', warning: 'warn', critical: 'bad' };

/** The scan page: the form, and below it the report of what was sent (or the API's refusal). */
export function scanPage(form: ScanForm, outcome: { report: ScanReportData } | { refusal: string } | null): string {
  return layout(
    { title: 'Scan deployed configuration', description: 'Paste Envoy, Istio, Envoy Gateway or Higress configuration: every Wasm module it loads, checked.' },
    html`<h1>Scan deployed configuration</h1>
<p>Paste what runs in your proxies: an Envoy bootstrap, listener or HTTP filter list (YAML or JSON), Istio or Higress <code>WasmPlugin</code>s,
Envoy Gateway <code>EnvoyExtensionPolicy</code>s; several YAML documents at once. Every Wasm module it loads is checked against this registry.
Nothing you paste is stored or logged. CI can post the same to <code>POST /api/v1/scans</code> (JSON or SARIF).</p>
<form method="post" action="/scan" class="scan-form">
<label for="scan-configuration">Configuration</label>
<textarea id="scan-configuration" name="configuration" rows="16" spellcheck="false" required>${form.configuration}</textarea>
<p class="small"><label for="scan-file">Or a file</label> <input type="file" id="scan-file" accept=".yaml,.yml,.json,text/yaml,application/json" data-fills="scan-configuration"> (its text is put above; up to 256 KiB here, 1 MiB through the API)</p>
<div class="row"><label>Envoy version <input name="envoy" value="${form.envoy}" placeholder="1.31" size="8"></label>
<label>Istio version <input name="istio" value="${form.istio}" placeholder="1.24" size="8"></label></div>
<button type="submit">Scan</button>
</form>
${outcome === null ? '' : 'refusal' in outcome ? html`<div class="notice bad" role="alert"><strong>Not scanned:</strong> ${outcome.refusal}</div>` : report(outcome.report)}`,
  );
}

function report(data: ScanReportData): Html {
  const s = data.summary;
  return html`<section id="scan-report" aria-labelledby="scan-report-heading">
<h2 id="scan-report-heading">${s.references === 1 ? '1 Wasm module reference' : `${s.references} Wasm module references`}</h2>
<p class="meta"><span class="badge bad">${s.critical} critical</span><span class="badge warn">${s.warning} warning</span><span class="badge">${s.info} info</span><span class="badge ok">${s.ok} ok</span>${
    data.truncated ? html`<span>More references were found than a scan reports; the rest were left out.</span>` : ''
  }</p>
${data.problems.length > 0 ? html`<div class="notice" role="note"><strong>Not read:</strong><ul>${data.problems.map((p) => html`<li>${p.file}${p.document !== null ? html` (document ${p.document + 1})` : ''}: ${p.message}</li>`)}</ul></div>` : ''}
${
  data.references.length === 0
    ? html`<p class="empty">No Wasm module was found in what you sent.</p>`
    : html`<ol class="plain scan-references">${data.references.map(
        (r) => html`<li class="scan-reference">
<h3><span class="badge ${BADGE[r.level] ?? ''}">${r.level}</span> ${r.name} <span class="small muted">${r.host}, ${r.file} line ${r.line}</span></h3>
<p class="small">${r.source.kind === 'file' ? r.source.path : r.source.url}${
          r.version ? html` → <a href="/plugins/${r.version.namespace}/${r.version.plugin}/${r.version.version}">${r.version.namespace}/${r.version.plugin} ${r.version.version}</a>` : ''
        }</p>
<ul>${r.findings.map((f) => html`<li><span class="badge ${BADGE[f.level] ?? ''}">${f.level}</span> ${f.message}</li>`)}</ul>
</li>`,
      )}</ol>`
}
</section>`;
}
