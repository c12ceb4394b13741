import { isSchemaObject, type ConfigurationError, type SchemaObject } from '../../../contract/index.js';
import type { VersionView } from '../../../plugins/index.js';
import { html, trusted, type Html } from '../html.js';
import { copyButton } from '../layout.js';
import type { ApiAnswer, PublicApi } from '../public-api.js';
import { configForm, configurationFromForm } from './config-form.js';

/** What the configure form was given: fields posted from the form, or an example to start from. */
export type ConfigureRequest = { fields: Readonly<Record<string, string | string[]>> } | { example: string | null };

interface Example {
  name: string;
  description: string | null;
  configuration: unknown;
}

interface UpgradeNote {
  pointer: string;
  change: string;
  breaking: boolean;
  message: string;
}

/** What the API said about a version's contract, each part on its own. */
export interface ContractDetails {
  readme: ApiAnswer | null;
  schema: SchemaObject | null;
  examples: Example[];
  upgradeNotes: ApiAnswer<{ from: string; to: string; breaking: boolean; notes: UpgradeNote[] }> | null;
  form: ConfigureOutcome | null;
}

/** The configure form's state after a request: what to pre-fill, the errors, and the configurations built from it. */
interface ConfigureOutcome {
  value: unknown;
  errors: ConfigurationError[];
  selectedExample: string | null;
  submitted: boolean;
  envoy: ApiAnswer | null;
  istio: ApiAnswer | null;
}

/** Reads the contract's parts and, for a submitted form, checks it and builds the proxy configurations with it. */
export async function contractDetails(api: PublicApi, path: string, v: VersionView, request: ConfigureRequest): Promise<ContractDetails> {
  const contract = v.contract;
  const [readme, schema, examples, upgradeNotes] = await Promise.all([
    contract?.readme ? api.get(`${path}/readme`, { accept: 'text/html' }) : Promise.resolve(null),
    contract?.configSchema ? api.get(`${path}/schema`) : Promise.resolve(null),
    contract?.examples ? api.get<{ items: Example[] }>(`${path}/examples`) : Promise.resolve(null),
    // A pending version without a contract has nothing to compare yet; the page asks for nothing it cannot show.
    contract == null && v.status === 'pending' ? Promise.resolve(null) : api.get(`${path}/upgrade-notes`),
  ]);
  const schemaValue = schema?.status === 200 && isSchemaObject(schema.json) ? schema.json : null;
  const exampleList = examples?.status === 200 ? examples.json.items : [];
  const details: ContractDetails = {
    readme,
    schema: schemaValue,
    examples: exampleList,
    upgradeNotes: upgradeNotes?.status === 200 ? upgradeNotes : null,
    form: null,
  };
  if (schemaValue !== null) details.form = await configure(api, path, v, schemaValue, exampleList, request);
  return details;
}

async function configure(api: PublicApi, path: string, v: VersionView, schema: SchemaObject, examples: Example[], request: ConfigureRequest): Promise<ConfigureOutcome> {
  if (!('fields' in request)) {
    const chosen = examples.find((e) => e.name === request.example) ?? examples[0] ?? null;
    return { value: chosen?.configuration ?? {}, errors: [], selectedExample: chosen?.name ?? null, submitted: false, envoy: null, istio: null };
  }
  const { value, problems } = configurationFromForm(schema, request.fields);
  const outcome: ConfigureOutcome = { value, errors: problems, selectedExample: null, submitted: true, envoy: null, istio: null };
  if (problems.length > 0) return outcome;
  const check = await api.post<{ valid: boolean; errors: ConfigurationError[] }>(`${path}/config/validate`, value);
  if (check.status !== 200) {
    outcome.errors = [{ pointer: '', rule: 'request', message: (check.json as { detail?: string } | null)?.detail ?? `the registry could not check it (HTTP ${check.status})` }];
    return outcome;
  }
  outcome.errors = check.json.valid ? [] : check.json.errors;
  if (check.json.valid && v.status === 'ready') {
    const configuration = encodeURIComponent(JSON.stringify(value));
    [outcome.envoy, outcome.istio] = await Promise.all([
      api.get(`${path}/config/envoy?configuration=${configuration}`),
      api.get(`${path}/config/istio?configuration=${configuration}`),
    ]);
  }
  return outcome;
}

/** The README, rendered and sanitized by the registry when the version was published. */
export function readmeSection(v: VersionView, d: ContractDetails): Html {
  if (d.readme === null) return html``;
  return html`<section id="readme" aria-labelledby="readme-heading">
<h2 id="readme-heading">README</h2>
${d.readme.status === 200 ? html`<div class="readme">${trusted(d.readme.text)}</div>` : html`<p class="notice bad">The README could not be read (HTTP ${d.readme.status}).</p>`}
<p class="small muted">As published with ${v.version}; its digest <code>${v.contract?.readme?.digest ?? ''}</code> is signed in the version's attestation. <a href="${v.contract?.readme?.url ?? '#'}">Markdown</a></p>
</section>`;
}

/** The configuration form, the examples and the schema: how to configure the plugin, checked before it reaches a proxy. */
export function configureSection(v: VersionView, page: string, d: ContractDetails): Html {
  const contract = v.contract;
  const examples = d.examples;
  const action = `${page}/configure#configure`;
  let form: Html;
  if (d.schema === null || d.form === null) {
    form = html`<p class="notice">${v.plugin} ${v.version} was published without a configuration schema: the registry cannot check a configuration for it. The proxy is the first to read it.</p>`;
  } else {
    const outcome = d.form;
    form = html`${outcome.submitted ? resultNotice(outcome) : ''}
${configForm({ schema: d.schema, value: outcome.value, errors: outcome.errors, action, examples: examples.map((e) => e.name), selectedExample: outcome.selectedExample })}
${outcome.envoy !== null && outcome.istio !== null ? builtConfigs(outcome.envoy, outcome.istio) : ''}`;
  }
  return html`<section id="configure" aria-labelledby="configure-heading">
<h2 id="configure-heading">Configure</h2>
${form}
${
  examples.length > 0
    ? html`<h3>Examples</h3>
<ul class="examples">${examples.map(
        (e) => html`<li><strong>${e.name}</strong>${e.description ? html` — ${e.description}` : ''}${d.form !== null ? html` · <a href="${page}?example=${encodeURIComponent(e.name)}#configure">Start from it</a>` : ''}
<pre>${JSON.stringify(e.configuration, null, 2)}</pre></li>`,
      )}</ul>`
    : ''
}
${
  d.schema !== null
    ? html`<details class="schema"><summary>Configuration schema (JSON Schema ${contract?.configSchema?.dialect ?? ''})</summary>
<pre id="config-schema">${JSON.stringify(d.schema, null, 2)}</pre>
<p class="small muted">Digest <code>${contract?.configSchema?.digest ?? ''}</code>, signed in the version's attestation. <a href="${contract?.configSchema?.url ?? '#'}">Raw</a></p></details>`
    : ''
}
</section>`;
}

function resultNotice(outcome: ConfigureOutcome): Html {
  if (outcome.errors.length > 0) {
    return html`<div class="notice bad" role="alert"><strong>This configuration breaks the schema</strong> (${outcome.errors.length} error${outcome.errors.length === 1 ? '' : 's'}); each is shown beside its field.
<ul>${outcome.errors.map((e) => html`<li><code>${e.pointer || '(the whole configuration)'}</code>: ${e.message}</li>`)}</ul></div>`;
  }
  return html`<div class="notice ok" role="status"><strong>Valid.</strong> The configuration satisfies the schema; below, the Envoy and Istio configuration with it embedded.</div>`;
}

function builtConfigs(envoy: ApiAnswer, istio: ApiAnswer): Html {
  const block = (id: string, label: string, answer: ApiAnswer): Html =>
    answer.status === 200
      ? html`<div class="copyable"><pre id="${id}" tabindex="0">${answer.text}</pre>${copyButton(id, label)}</div>`
      : html`<div class="notice bad">Not available: ${answer.json?.detail ?? `HTTP ${answer.status}`}</div>`;
  return html`<h3 id="configured-envoy-heading">Envoy, with this configuration</h3>${block('configured-envoy', 'Copy Envoy configuration', envoy)}
<h3 id="configured-istio-heading">Istio, with this configuration</h3>${block('configured-istio', 'Copy Istio configuration', istio)}`;
}

/** What changed in the configuration contract since the version before, breaking changes first. */
export function upgradeNotesSection(d: ContractDetails): Html {
  const answer = d.upgradeNotes;
  if (answer === null) return html``;
  const notes = answer.json;
  return html`<section id="upgrade-notes" aria-labelledby="upgrade-notes-heading">
<h2 id="upgrade-notes-heading">Upgrade notes from ${notes.from}</h2>
${
  notes.notes.length === 0
    ? html`<p class="muted">The configuration contract did not change since ${notes.from}.</p>`
    : html`${notes.breaking ? html`<p class="notice bad"><strong>Breaking:</strong> configurations valid for ${notes.from} may be refused by ${notes.to}.</p>` : ''}
<ul class="upgrade-notes">${notes.notes.map(
        (n) => html`<li>${n.breaking ? html`<span class="badge bad">breaking</span>` : html`<span class="badge">compatible</span>`} <code>${n.pointer || '(root)'}</code> ${n.message}</li>`,
      )}</ul>`
}
</section>`;
}
