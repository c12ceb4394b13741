import type { CapabilityDiff, CallOut, HeaderChanges, RequestTrace, TrialFailure, TrialTrace } from '../../../sandbox/index.js';
import type { VersionView } from '../../../plugins/index.js';
import { html, type Html } from '../html.js';
import type { ApiAnswer } from '../public-api.js';

/** What the "Try it" form was given and what the API answered; null answer: not submitted. */
export interface TryItOutcome {
  configurationText: string;
  requestsText: string;
  answer: ApiAnswer | null;
}

const micros = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} µs`;

function failureText(failure: TrialFailure): string {
  return `${failure.kind.replace(/_/g, ' ')}${failure.callback ? ` in ${failure.callback}` : ''}: ${failure.message}`;
}

function changesText(changes: HeaderChanges, side: 'request' | 'response'): string[] {
  const prefix = side === 'response' ? 'response ' : '';
  const parts: string[] = [];
  if (changes.added.length > 0) parts.push(`added ${prefix}${changes.added.map(([name]) => `\`${name}\``).join(', ')}`);
  if (changes.replaced.length > 0) parts.push(`changed ${prefix}${changes.replaced.map(([name]) => `\`${name}\``).join(', ')}`);
  if (changes.removed.length > 0) parts.push(`removed ${prefix}${changes.removed.map((name) => `\`${name}\``).join(', ')}`);
  return parts;
}

/** "GET / → Continue, added `x-request-id`", "POST /login → local response 401". */
export function requestLine(request: RequestTrace): string {
  let outcome: string;
  if (request.failure !== null) outcome = `failed (${failureText(request.failure)})`;
  else if (request.localResponse !== null) outcome = `local response ${request.localResponse.status}`;
  else if (request.outcome === 'paused') outcome = 'paused, never resumed';
  else if (request.outcome === 'closed') outcome = 'stream closed by the plugin';
  else outcome = request.steps.find((s) => s.action !== null && s.action !== 'Continue')?.action ?? 'Continue';
  const parts = [
    outcome,
    ...changesText(request.request.headers, 'request'),
    ...(request.request.bodyChanged ? ['changed the request body'] : []),
    ...changesText(request.response.headers, 'response'),
    ...(request.response.bodyChanged ? ['changed the response body'] : []),
    ...(request.callsOut.length > 0 ? [`called ${callsOutText(request.callsOut)}`] : []),
  ];
  return `${request.name} → ${parts.join(', ')}`;
}

function callsOutText(calls: readonly CallOut[]): string {
  const named = [...new Set(calls.map((c) => `${c.upstream} (${c.kind})`))];
  return named.join(', ');
}

function configureLine(configuration: TrialTrace['configurations'][number]): string {
  const name = configuration.name === '(empty)' ? 'empty configuration' : configuration.name === 'yours' ? 'your configuration' : `example "${configuration.name}"`;
  const result = configuration.failure !== null ? `failed (${failureText(configuration.failure)})` : String(configuration.accepted ?? true);
  return `configure(${name}): ${result}`;
}

/**
 * The trace as one readable line, item by item: "starts: yes; configure(example "default"): true;
 * GET / → Continue, added `x-request-id`; POST /login → local response 401; calls out: none; 38 µs per request".
 */
export function traceLines(trace: TrialTrace): string[] {
  const { start } = trace;
  const started = start.linked && start.failure === null && start.vmStarted !== false;
  const lines = [
    started
      ? 'starts: yes'
      : `starts: no (${start.failure ? failureText(start.failure) : start.vmStarted === false ? 'proxy_on_vm_start returned false' : 'not linked'})`,
    ...trace.configurations.map(configureLine),
    ...trace.requests.map(requestLine),
    ...trace.connections.map((c) => `${c.name} → ${c.failure ? `failed (${failureText(c.failure)})` : c.outcome}`),
  ];
  const calls = [...trace.requests.flatMap((r) => r.callsOut), ...trace.connections.flatMap((c) => c.callsOut), ...trace.ticks.callsOut];
  lines.push(`calls out: ${calls.length === 0 ? 'none' : callsOutText(calls)}`);
  if (trace.ticks.fired > 0) lines.push(`ticks: ${trace.ticks.fired}${trace.ticks.failure ? ` (${failureText(trace.ticks.failure)})` : ''}`);
  if (trace.cost !== null) lines.push(`${micros(trace.cost.medianMicros)} per request`);
  return lines;
}

/** The readable trace, then its details: findings, logs, metrics, calls out and cost with its caveat. */
export function traceView(trace: TrialTrace, idPrefix: string): Html {
  const logs = [...trace.start.logs, ...trace.configurations.flatMap((c) => c.logs), ...trace.requests.flatMap((r) => r.logs), ...trace.ticks.logs];
  const calls = [...trace.requests.flatMap((r) => r.callsOut), ...trace.ticks.callsOut];
  const omitted = Object.entries(trace.omitted).filter(([, n]) => n > 0);
  return html`<p class="trial-line" id="${idPrefix}-line">${traceLines(trace).join('; ')}</p>
${trace.findings.length > 0 ? html`<div class="notice"><strong>Findings:</strong><ul>${trace.findings.map((f) => html`<li><code>${f.code}</code>: ${f.message}</li>`)}</ul></div>` : ''}
<details><summary>Details: ${trace.requests.length} request${trace.requests.length === 1 ? '' : 's'}, ${logs.length} log line${logs.length === 1 ? '' : 's'}, ${calls.length} call${calls.length === 1 ? '' : 's'} out, ${trace.metrics.length} metric${trace.metrics.length === 1 ? '' : 's'}</summary>
<ul class="small">${trace.requests.map(
    (r) => html`<li><strong>${r.name}</strong>: ${r.steps.map((s, i) => html`${i > 0 ? ' → ' : ''}<code>${s.callback}</code>${s.action && s.action !== 'Continue' ? ` (${s.action})` : ''}`)}${
      r.localResponse ? html`<br>local response ${r.localResponse.status}${r.localResponse.details ? ` (${r.localResponse.details})` : ''} from <code>${r.localResponse.callback}</code>` : ''
    }</li>`,
  )}</ul>
${calls.length > 0 ? html`<h4>Calls out (answered by a stub, never sent)</h4><ul class="small">${calls.map((c) => html`<li>${c.kind} to <code>${c.upstream}</code> ${headerValue(c.headers, ':method')} ${headerValue(c.headers, ':path')} from <code>${c.callback}</code>: ${c.answer === 'failure' ? 'failed (unreachable)' : `answered ${c.answer.status}`}</li>`)}</ul>` : ''}
${trace.metrics.length > 0 ? html`<h4>Metrics</h4><ul class="small">${trace.metrics.map((m) => html`<li><code>${m.name}</code> (${m.type}) = ${m.value}</li>`)}</ul>` : ''}
${logs.length > 0 ? html`<h4>Logs</h4><pre class="small">${logs.map((l) => `[${l.level}] ${l.callback}: ${l.message}`).join('\n')}</pre>` : ''}
${omitted.length > 0 ? html`<p class="small muted">Left out at the trace's bounds: ${omitted.map(([name, n]) => `${n} ${name}`).join(', ')}.</p>` : ''}
</details>
${trace.cost ? html`<p class="small">CPU time per request: median ${micros(trace.cost.medianMicros)}, p95 ${micros(trace.cost.p95Micros)} (${trace.cost.samples} requests after warm-up); memory after start ${Math.round(trace.cost.memoryBytesAfterStart / 1024).toLocaleString('en-US')} KiB. <span class="muted">${trace.cost.caveat}</span></p>` : ''}
<p class="small muted">${trace.host.engine}${trace.host.abiVersion ? `, Proxy-Wasm ABI ${trace.host.abiVersion}` : ''}. ${trace.host.caveat}</p>`;
}

function headerValue(headers: readonly [string, string][], name: string): string {
  return headers.find(([n]) => n === name)?.[1] ?? '';
}

/** The trial the pipeline ran; nothing for a version that has none to show. */
export function trialSection(v: VersionView, page: string, answer: ApiAnswer | null): Html {
  let content: Html;
  if (answer === null) content = html`<p class="muted">The version is tried in the sandbox while it is processed.</p>`;
  else if (answer.status === 200) content = traceView(answer.json.trace as TrialTrace, 'trial');
  else if (answer.status === 404 && v.trial === null) content = html`<p class="muted">${answer.json?.detail ?? 'No trial.'}</p>`;
  else content = html`<p class="notice bad">The trial could not be read (HTTP ${answer.status}).</p>`;
  return html`<section id="trial" aria-labelledby="trial-heading">
<h2 id="trial-heading">Trial</h2>
<p class="small muted">The registry ran this version in its Proxy-Wasm sandbox (V8 with the host functions Envoy gives a plugin, not Envoy itself): started it, configured it with each example, and sent it a few synthetic requests. <a href="${page}/trial">The whole trace (JSON)</a></p>
${content}
</section>`;
}

/** "Try it": your configuration (and requests) through the same trial, posted to the server; works without JavaScript. */
export function tryItSection(v: VersionView, action: string, outcome: TryItOutcome): Html {
  // Only what the sandbox can start: a ready Proxy-Wasm module (envoyLoads is null for anything else).
  if (v.status !== 'ready' || v.analysis?.kind !== 'module' || v.analysis.envoyLoads === null) return html``;
  const answer = outcome.answer;
  let result: Html = html``;
  if (answer !== null) {
    if (answer.status === 200) {
      result = html`<div class="notice ok" role="status"><strong>Your trial:</strong> nothing was stored and the version is unchanged.</div>${traceView(answer.json as TrialTrace, 'try-it')}`;
    } else {
      const errors = (answer.json?.errors ?? []) as { field: string; message: string }[];
      result = html`<div class="notice bad" role="alert" id="try-it-error"><strong>Not tried:</strong> ${answer.json?.detail ?? `HTTP ${answer.status}`}${
        errors.length > 0 ? html`<ul>${errors.map((e) => html`<li><code>${e.field}</code>: ${e.message}</li>`)}</ul>` : ''
      }${answer.status === 429 || answer.status === 503 ? html`<p class="small">Try again in ${answer.headers['retry-after'] ?? 'a few'} seconds.</p>` : ''}</div>`;
    }
  }
  return html`<section id="try-it" aria-labelledby="try-it-heading">
<h2 id="try-it-heading">Try it</h2>
<p class="small muted">Runs this version in the sandbox with your configuration, within tighter limits, before you deploy it. Nothing is stored. Limited per client: if you are told to wait, wait.</p>
<form method="post" action="${action}">
<label for="try-configuration">Configuration, as the plugin receives it</label>
<textarea id="try-configuration" name="configuration" rows="6" spellcheck="false">${outcome.configurationText}</textarea>
<label for="try-requests">Requests (optional), one per line: <code>METHOD /path header: value; header: value</code></label>
<textarea id="try-requests" name="requests" rows="3" spellcheck="false" placeholder="GET /admin authorization: Bearer x">${outcome.requestsText}</textarea>
<p><button type="submit">Try it</button></p>
</form>
${result}
</section>`;
}

/** One request per line, "METHOD /path name: value; name: value", as the API's `requests`; null when none. */
export function requestsFromText(text: string): { method: string; path: string; headers: [string, string][] }[] | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return null;
  return lines.map((line) => {
    const [method = '', path = '', ...rest] = line.split(/\s+/);
    const headers = rest
      .join(' ')
      .split(';')
      .map((h) => h.trim())
      .filter((h) => h !== '')
      .map((h): [string, string] => {
        const colon = h.indexOf(':', h.startsWith(':') ? 1 : 0);
        return colon === -1 ? [h.toLowerCase(), ''] : [h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim()];
      });
    return { method, path, headers };
  });
}

/** "What changed since <previous>": the capability diff, widening changes first. */
export function capabilityDiffSection(answer: ApiAnswer | null, page: string): Html {
  if (answer === null || answer.status !== 200) return html``;
  const diff = answer.json as CapabilityDiff;
  return html`<section id="what-changed" aria-labelledby="what-changed-heading">
<h2 id="what-changed-heading">What changed since ${diff.from}</h2>
<p>${diff.summary}</p>
${
  diff.changes.length > 0
    ? html`<ul class="changes">${diff.changes.map((c) => html`<li>${c.widens ? html`<span class="badge warn">more</span>` : html`<span class="badge">less</span>`} ${c.summary}</li>`)}</ul>`
    : ''
}
${
  diff.imports.length > 0
    ? html`<details><summary>Host functions imported, by capability</summary><ul class="small">${diff.imports.map(
        (g) => html`<li><strong>${g.group}</strong>${g.added.length > 0 ? html` +${g.added.map((n, i) => html`${i > 0 ? ', ' : ' '}<code>${n}</code>`)}` : ''}${
          g.removed.length > 0 ? html` −${g.removed.map((n, i) => html`${i > 0 ? ', ' : ' '}<code>${n}</code>`)}` : ''
        }</li>`,
      )}</ul></details>`
    : ''
}
${diff.behaviourNote ? html`<p class="small muted">${diff.behaviourNote}</p>` : ''}
${diff.caveats.map((c) => html`<p class="small muted">${c}</p>`)}
<p class="small"><a href="${page}/capability-diff">In the API (JSON)</a></p>
</section>`;
}
