import type { AnalysisReport, Capability, Finding, HostCompatibility, ProducerValue } from '../../../analysis/index.js';
import { html, type Html } from '../html.js';

/** `GET …/versions/{v}/analysis`: the policy's verdict beside the full report. */
export interface AnalysisAnswer {
  status: 'ready' | 'rejected';
  analyzedAt: string;
  rejections: Finding[];
  warnings: Finding[];
  /** Stored reports may predate a field: everything is read defensively. */
  report: Partial<AnalysisReport>;
}

const CAPABILITY_NAMES: Record<string, string> = {
  http_calls: 'HTTP calls',
  grpc_calls: 'gRPC calls',
  shared_data: 'Shared data',
  shared_queues: 'Shared queues',
  metrics: 'Metrics',
  properties: 'Proxy properties',
  foreign_functions: 'Foreign functions',
  response_control: 'Response control',
  wasi_filesystem: 'WASI filesystem',
  wasi_environment: 'WASI environment',
  wasi_random: 'WASI random',
  wasi_clock: 'WASI clock',
  wasi_sockets: 'WASI sockets',
  wasi_process: 'WASI process',
};

const ENTRY_POINTS: Record<string, string> = { _initialize: 'reactor', _start: 'command', main: 'command' };
const FILTER_TYPES: Record<string, string> = { http: 'HTTP filter', network: 'network (TCP) filter' };

const list = <T>(value: T[] | undefined | null): T[] => (Array.isArray(value) ? value : []);
const count = (n: number): string => n.toLocaleString('en-US');

/** How the report's `omitted` paths read in a sentence. */
const OMITTED_LABELS: Record<string, string> = {
  imports: 'imports',
  exports: 'exports',
  memories: 'memories',
  tables: 'tables',
  customSections: 'custom sections',
  'producers.language': 'producers languages',
  'producers.processedBy': 'producers tools',
  'producers.sdk': 'producers SDKs',
  targetFeatures: 'target features',
  'component.imports': 'component imports',
  'component.exports': 'component exports',
  'proxyWasm.unknownImports': 'unknown imports',
  'proxyWasm.hostImports': 'host imports',
  'proxyWasm.wasiImports': 'WASI imports',
  'proxyWasm.envoy.reasons': 'reasons Envoy refuses it',
  findings: 'findings',
};

/**
 * What a shortened report left out, from its own counts (report version 2);
 * nothing for a whole report or one stored before reports were bounded.
 */
function truncationNotice(r: Partial<AnalysisReport>): Html | string {
  if (r.truncated !== true) return '';
  const omitted = Object.entries(r.omitted ?? {}).filter(([, n]) => typeof n === 'number' && n > 0);
  const strings = typeof r.shortenedStrings === 'number' && r.shortenedStrings > 0 ? r.shortenedStrings : 0;
  const parts = [
    ...omitted.map(([path, n]) => `${count(n)} ${OMITTED_LABELS[path] ?? path}`),
    ...(strings > 0 ? [`${count(strings)} ${strings === 1 ? 'string' : 'strings'} cut short (ending with “…”)`] : []),
  ];
  return html`<p class="notice small" role="note"><strong>Shortened report.</strong> The module holds more than the registry keeps in a report, so some of it is left out: ${parts.join('; ')}.</p>`;
}

/** "(12)" for a whole list, "(1,000 of 100,000)" for one the report cut short. */
function shownOf(shown: number, total: number | undefined): string {
  return typeof total === 'number' && total > shown ? `${count(shown)} of ${count(total)}` : count(shown);
}

function codes(names: readonly string[], empty = 'none'): Html {
  if (names.length === 0) return html`<span class="muted">${empty}</span>`;
  return html`${names.map((n, i) => html`${i > 0 ? ', ' : ''}<code>${n}</code>`)}`;
}

function producers(values: readonly ProducerValue[]): string {
  return values.map((v) => (v.version ? `${v.name} ${v.version}` : v.name)).join(', ');
}

/** A finding as the API gives it (in the summary, codes are plain strings). */
export type FindingLike = Pick<Finding, 'message' | 'host' | 'offset'> & { code: string; severity: string };

/** A finding as a list item: what is wrong, in the analysis's own sentence. */
export function findingItem(f: FindingLike): Html {
  return html`<li><code>${f.code}</code>${f.host ? html` <span class="badge">${f.host}</span>` : ''}: ${f.message}${
    typeof f.offset === 'number' ? html` <span class="muted small">(at byte ${f.offset})</span>` : ''
  }</li>`;
}

/** A "source" may hold several references separated by "; ": link the URLs, keep the rest as text. */
function sources(source: string): Html {
  return html`${source.split(/;\s*/).map((part, i) => html`${i > 0 ? '; ' : ''}${/^https?:\/\/\S+$/.test(part) ? html`<a href="${part}" rel="nofollow noopener">${part.replace(/^https?:\/\//, '')}</a>` : part}`)}`;
}

function compatibilityTable(rows: readonly HostCompatibility[]): Html {
  if (rows.length === 0) return html`<p class="notice">No known host can run this module.</p>`;
  return html`<div class="table-wrap"><table class="compatibility">
<thead><tr><th scope="col">Host</th><th scope="col">Versions</th><th scope="col">Why</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr><td>${r.host}</td><td><code>${r.versions}</code></td><td>${r.reason}${r.source ? html`<div class="small muted">Source: ${sources(r.source)}</div>` : ''}</td></tr>`,
  )}</tbody></table></div>`;
}

function capabilitiesTable(rows: readonly Capability[]): Html {
  if (rows.length === 0) return html`<p class="muted">It imports no sensitive host function.</p>`;
  return html`<div class="table-wrap"><table class="capabilities">
<thead><tr><th scope="col">Capability</th><th scope="col">What it lets the module do</th><th scope="col">Imports</th></tr></thead>
<tbody>${rows.map((c) => html`<tr><td>${CAPABILITY_NAMES[c.id] ?? c.id}</td><td>${c.description}</td><td>${codes(list(c.functions))}</td></tr>`)}</tbody></table></div>`;
}

/**
 * The analysis in readable form: the verdict first (will Envoy load it, and
 * what rejected or worries the registry), then the ABI, where it runs, its
 * callbacks, the host functions it can use, and the toolchain that built it.
 */
export function analysisView(answer: AnalysisAnswer, reportUrl: string): Html {
  const r = answer.report;
  const pw = r.proxyWasm ?? null;
  const rejections = list(answer.rejections);
  const warnings = list(answer.warnings);
  const shown = new Set([...rejections, ...warnings].map((f) => `${f.code}\n${f.message}`));
  const notes = list(r.findings).filter((f) => !shown.has(`${f.code}\n${f.message}`));
  const producer = r.producers ?? null;
  const toolchain: [string, ProducerValue[]][] = producer
    ? [
        ['Language', list(producer.language)],
        ['Built with', list(producer.processedBy)],
        ['SDK', list(producer.sdk)],
      ]
    : [];
  const callbacks = pw?.callbacks;

  return html`<section id="analysis" aria-labelledby="analysis-heading">
<h2 id="analysis-heading">Analysis</h2>
${truncationNotice(r)}
${
  pw === null
    ? html`<p class="verdict">${r.kind === 'component' ? 'A WebAssembly component: Proxy-Wasm hosts load core modules only.' : 'Not a Proxy-Wasm plugin: it neither exports an ABI version nor imports proxy_* host functions.'}</p>`
    : pw.envoy?.loads
      ? html`<p class="verdict ok"><strong>Envoy loads and starts this module</strong> (Proxy-Wasm ABI ${pw.abiVersion ?? 'unknown'}).</p>`
      : html`<div class="verdict bad"><p><strong>Envoy will refuse this module.</strong></p>${list(pw.envoy?.reasons).length > 0 ? html`<ul>${list(pw.envoy?.reasons).map((reason) => html`<li>${reason}</li>`)}</ul>` : ''}</div>`
}
${rejections.length > 0 ? html`<div class="notice bad" role="alert"><strong>Rejected by the registry's checks:</strong><ul>${rejections.map(findingItem)}</ul></div>` : ''}
${warnings.length > 0 ? html`<div class="notice"><strong>${warnings.length === 1 ? 'Warning' : `${warnings.length} warnings`}:</strong><ul>${warnings.map(findingItem)}</ul></div>` : html`<p class="small muted">No warnings.</p>`}
<dl class="kv">
${pw !== null ? html`<dt>Proxy-Wasm ABI</dt><dd>${pw.abiVersion ? html`<strong>${pw.abiVersion}</strong>` : html`<span class="muted">none Envoy knows</span>`}${
  list(pw.declaredAbiVersions).length > 1 ? html` (declares ${list(pw.declaredAbiVersions).join(', ')}; Envoy uses the first it knows)` : ''
}${list(pw.nonStandardAbiMarkers).length > 0 ? html`; non-standard markers ${codes(list(pw.nonStandardAbiMarkers))}` : ''}${pw.legacyUnversioned ? ' (a pre-versioned plugin: no ABI export)' : ''}</dd>
<dt>Fits</dt><dd>${list(pw.filterTypes).length > 0 ? list(pw.filterTypes).map((t) => FILTER_TYPES[t] ?? t).join(', ') : html`<span class="muted">no filter chain (no HTTP or TCP callbacks)</span>`}</dd>
<dt>Entry point</dt><dd>${pw.entryPoint ? html`<code>${pw.entryPoint}</code> (${ENTRY_POINTS[pw.entryPoint] ?? ''})` : html`<span class="muted">none</span>`}</dd>
<dt>Allocator</dt><dd>${pw.allocator ? html`<code>${pw.allocator}</code>` : html`<span class="muted">none</span>`}</dd>` : ''}
<dt>Module</dt><dd>${r.kind === 'component' ? 'Component' : 'Core module'}${typeof r.size === 'number' ? `, ${r.size.toLocaleString('en-US')} bytes` : ''}${
  r.valid === false ? html`, <strong class="bad">invalid</strong>${r.validationError ? html`: ${r.validationError.message}` : ''}` : r.valid ? ', valid' : ''
}${typeof r.functionCount === 'number' ? `, ${r.functionCount} functions` : ''}</dd>
<dt>Toolchain</dt><dd>${
  toolchain.some(([, values]) => values.length > 0)
    ? html`${toolchain.filter(([, values]) => values.length > 0).map(([label, values], i) => html`${i > 0 ? '; ' : ''}${label}: ${producers(values)}`)}`
    : html`<span class="muted">not recorded (no producers section)</span>`
}</dd>
</dl>
<h3>Runs on</h3>
${compatibilityTable(list(r.compatibility))}
${
  callbacks
    ? html`<h3>Callbacks it exports</h3><dl class="kv">
<dt>HTTP</dt><dd>${codes(list(callbacks.http))}</dd>
<dt>TCP</dt><dd>${codes(list(callbacks.tcp))}</dd>
<dt>Lifecycle</dt><dd>${codes(list(callbacks.lifecycle))}</dd>
${list(callbacks.other).length > 0 ? html`<dt>Other</dt><dd>${codes(list(callbacks.other))}</dd>` : ''}
</dl>`
    : ''
}
<h3>Capabilities it imports</h3>
${capabilitiesTable(list(r.capabilities))}
${notes.length > 0 ? html`<h3>Notes</h3><ul>${notes.map(findingItem)}</ul>` : ''}
${
  r.component
    ? html`<details><summary>Component world (WIT)</summary><pre>${r.component.wit}</pre><p class="small">Imports: ${codes(list(r.component.imports))}</p><p class="small">Exports: ${codes(list(r.component.exports))}</p></details>`
    : ''
}
<details><summary>Imports (${shownOf(list(r.imports).length, r.totals?.imports)}) and exports (${shownOf(list(r.exports).length, r.totals?.exports)})</summary>
<p class="small">Imports: ${codes(list(r.imports).map((i) => `${i.module}.${i.name}`))}</p>
<p class="small">Exports: ${codes(list(r.exports).map((e) => e.name))}</p>
</details>
<p class="small muted">Analysed <time datetime="${answer.analyzedAt}">${answer.analyzedAt.slice(0, 10)}</time> from the module's bytes. <a href="${reportUrl}">The full report (JSON)</a></p>
</section>`;
}

/** The analysis section when the API has no report to give (pending, or the read failed). */
export function analysisUnavailable(reason: string): Html {
  return html`<section id="analysis" aria-labelledby="analysis-heading"><h2 id="analysis-heading">Analysis</h2><p class="muted">${reason}</p></section>`;
}
