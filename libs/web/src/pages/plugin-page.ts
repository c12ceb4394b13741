import type { PluginStatsView } from '../../../catalog/index.js';
import type { FindingView, PluginDetailView, VersionView } from '../../../plugins/index.js';
import { html, type Html } from '../html.js';
import { copyButton, layout } from '../layout.js';
import type { ApiAnswer, PublicApi } from '../public-api.js';
import { analysisUnavailable, analysisView, findingItem, type AnalysisAnswer } from './analysis-view.js';
import { errorPage, type Category } from './catalog-pages.js';
import { configureSection, contractDetails, readmeSection, upgradeNotesSection, type ConfigureRequest, type ContractDetails } from './contract-view.js';
import { downloadChart } from './download-chart.js';
import { sbomUnavailable, sbomView } from './sbom-view.js';
import { signatureUnavailable, signatureView, type VerificationAnswer } from './signature-view.js';
import { capabilityDiffSection, requestsFromText, trialSection, tryItSection, type TryItOutcome } from './trial-view.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Loose on purpose: the API judges semver; this only keeps odd paths away from it. */
const VERSION = /^[0-9A-Za-z.+-]{1,128}$/;

type Page = { status: number; html: string };

/** Why the page shows the version it shows. */
type Choice = 'url' | 'latest' | 'newest';

/** What the API said about the chosen version, each part on its own so one failure spoils nothing else. */
interface VersionDetails {
  analysis: ApiAnswer<AnalysisAnswer> | null;
  envoy: ApiAnswer | null;
  istio: ApiAnswer | null;
  signature: ApiAnswer | null;
  verification: ApiAnswer<VerificationAnswer> | null;
  sbom: ApiAnswer | null;
  contract: ContractDetails;
  trial: ApiAnswer | null;
  capabilityDiff: ApiAnswer | null;
  tryIt: TryItOutcome;
}

/** The "Try it" form as posted: the configuration text and the requests, one per line. */
export interface TryItRequest {
  configuration: string;
  requests: string;
}

const count = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;
const day = (iso: string | null | undefined): Html => (iso ? html`<time datetime="${iso}">${iso.slice(0, 10)}</time>` : html``);

/** Ends with a full stop unless it already ends a sentence. */
const sentence = (text: string): string => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** The API's explanation of a refusal (problem+json detail), or its status. */
function problem(answer: ApiAnswer): string {
  const detail = answer.json && typeof answer.json === 'object' ? (answer.json as { detail?: unknown }).detail : undefined;
  return typeof detail === 'string' && detail !== '' ? detail : `the API answered HTTP ${answer.status}.`;
}

/** Only http(s) URLs become links: metadata is the publisher's text. */
function externalLink(url: string | null): Html | string {
  if (url === null || url === '') return '';
  return /^https?:\/\//i.test(url) ? html`<a href="${url}" rel="nofollow noopener">${url.replace(/^https?:\/\//i, '')}</a>` : url;
}

/** The version's badge: yanked wins over ready, since that is what a reader must notice. */
export function statusBadge(v: Pick<VersionView, 'status' | 'yanked'>): Html {
  if (v.yanked) return html`<span class="badge warn">yanked</span>`;
  const tone = v.status === 'ready' ? 'ok' : v.status === 'pending' ? '' : 'bad';
  return html`<span class="badge ${tone}">${v.status}</span>`;
}

/** The version a URL names, or the latest, or (with no latest) the newest of any status. */
export function chooseVersion(plugin: Pick<PluginDetailView, 'latestVersion' | 'versions'>, requested: string | null): { version: VersionView; why: Choice } | null {
  if (requested !== null) {
    const found = plugin.versions.find((v) => v.version === requested);
    return found ? { version: found, why: 'url' } : null;
  }
  const latest = plugin.latestVersion === null ? undefined : plugin.versions.find((v) => v.version === plugin.latestVersion);
  if (latest) return { version: latest, why: 'latest' };
  const newest = plugin.versions[0];
  return newest ? { version: newest, why: 'newest' } : null;
}

/** The plugin page: the plugin, its versions, and everything needed to judge and pin the chosen one. */
export async function pluginPage(
  api: PublicApi,
  namespace: string,
  name: string,
  version: string | null,
  configure: ConfigureRequest = { example: null },
  tryIt: TryItRequest | null = null,
): Promise<Page> {
  const id = `${namespace}/${name}`;
  if (!NAME.test(namespace) || !NAME.test(name)) return { status: 404, html: errorPage(404, 'No such plugin', `No plugin is called ${id}.`) };
  const base = `/api/v1/plugins/${namespace}/${name}`;
  const found = await api.get<PluginDetailView>(base);
  if (found.status === 404 || found.status === 400) return { status: 404, html: errorPage(404, 'No such plugin', `No plugin is called ${id}.`) };
  if (found.status !== 200) return { status: 502, html: errorPage(502, 'Something went wrong', `${id} could not be read just now (the API answered ${found.status}). Try again in a moment.`) };
  const plugin = found.json;

  const chosen = version !== null && !VERSION.test(version) ? null : chooseVersion(plugin, version);
  if (version !== null && chosen === null) return versionNotFound(plugin, version);

  const [stats, categories, details] = await Promise.all([
    api.get<PluginStatsView>(`${base}/stats?interval=day`),
    api.get<{ categories: Category[] }>('/api/v1/categories'),
    chosen === null ? Promise.resolve(null) : versionDetails(api, base, chosen.version, configure, tryIt),
  ]);
  const categoryNames = new Map((categories.status === 200 ? categories.json.categories : []).map((c) => [c.slug, c.name]));

  const body = html`<nav class="crumbs small" aria-label="Breadcrumb"><a href="/">Catalog</a> › <a href="/namespaces/${namespace}">${namespace}</a> › ${name}</nav>
<h1>${id}</h1>
<p class="lead">${plugin.description || html`<span class="muted">No description.</span>`}</p>
${plugin.deprecation ? html`<div class="notice bad" role="note"><strong>Deprecated</strong> since ${day(plugin.deprecation.deprecatedAt)}: ${plugin.deprecation.message}</div>` : ''}
${facts(plugin, categoryNames)}
<div class="plugin-layout">
  <div class="plugin-main">${chosen === null || details === null ? noVersions(plugin) : versionSection(plugin, chosen.version, chosen.why, details)}</div>
  <aside class="plugin-side" aria-label="Versions and downloads">
    ${versionList(plugin, chosen?.version.version ?? null)}
    ${downloadsSection(plugin, stats, chosen?.version.version ?? null)}
  </aside>
</div>`;

  return {
    status: 200,
    html: layout({ title: version === null ? id : `${id} ${version}`, description: plugin.description || `${id}: a WebAssembly plugin for Proxy-Wasm hosts.` }, body),
  };
}

async function versionDetails(api: PublicApi, base: string, v: VersionView, configure: ConfigureRequest, tryIt: TryItRequest | null): Promise<VersionDetails> {
  const path = `${base}/versions/${v.version}`;
  // The contract is the publisher's, there from the publish on; everything else waits for processing.
  const contract = await contractDetails(api, path, v, configure);
  const tried: TryItOutcome = {
    configurationText: tryIt?.configuration ?? (contract.examples[0] ? JSON.stringify(contract.examples[0].configuration) : ''),
    requestsText: tryIt?.requests ?? '',
    answer: null,
  };
  // A pending version has nothing else to show yet: the page says so instead of asking the API five times for 409s.
  if (v.status === 'pending') {
    return { analysis: null, envoy: null, istio: null, signature: null, verification: null, sbom: null, contract, trial: null, capabilityDiff: null, tryIt: tried };
  }
  const requests = tryIt === null ? null : requestsFromText(tryIt.requests);
  const [analysis, envoy, istio, signature, sbom, trial, capabilityDiff, own] = await Promise.all([
    api.get<AnalysisAnswer>(`${path}/analysis`),
    api.get(`${path}/config/envoy`),
    api.get(`${path}/config/istio`),
    api.get(`${path}/signature`),
    api.get(`${path}/sbom`),
    api.get(`${path}/trial`),
    api.get(`${path}/capability-diff`),
    tryIt === null ? Promise.resolve(null) : api.post(`${path}/trial`, { configurationText: tryIt.configuration, ...(requests ? { requests } : {}) }),
  ]);
  const verification = signature.status === 200 ? await api.post<VerificationAnswer>('/api/v1/verify', { bundle: signature.json, digest: v.digest }) : null;
  return { analysis, envoy, istio, signature, verification, sbom, contract, trial, capabilityDiff, tryIt: { ...tried, answer: own } };
}

function facts(plugin: PluginDetailView, categoryNames: ReadonlyMap<string, string>): Html {
  return html`<dl class="facts">
<dt>Publisher</dt><dd><a href="/namespaces/${plugin.namespace}">${plugin.namespace}</a></dd>
<dt>License</dt><dd>${plugin.license ?? html`<span class="muted">not stated</span>`}</dd>
${plugin.homepage ? html`<dt>Homepage</dt><dd>${externalLink(plugin.homepage)}</dd>` : ''}
${plugin.repository ? html`<dt>Repository</dt><dd>${externalLink(plugin.repository)}</dd>` : ''}
${plugin.categories.length > 0 ? html`<dt>Categories</dt><dd>${plugin.categories.map((slug, i) => html`${i > 0 ? ', ' : ''}<a href="/categories/${slug}">${categoryNames.get(slug) ?? slug}</a>`)}</dd>` : ''}
${plugin.keywords.length > 0 ? html`<dt>Keywords</dt><dd>${plugin.keywords.map((k, i) => html`${i > 0 ? ' ' : ''}<a class="badge" href="/search?q=${encodeURIComponent(k)}">${k}</a>`)}</dd>` : ''}
<dt>Latest</dt><dd>${plugin.latestVersion ? html`<a href="/plugins/${plugin.namespace}/${plugin.name}/${plugin.latestVersion}">${plugin.latestVersion}</a>` : html`<span class="muted">none (no ready version that is not yanked)</span>`}</dd>
<dt>Downloads</dt><dd>${plural(plugin.downloads, 'download')}, all time</dd>
</dl>`;
}

function noVersions(plugin: PluginDetailView): Html {
  return html`<h2>No versions yet</h2><p class="empty">${plugin.namespace}/${plugin.name} exists, but nothing has been published for it yet. Publishers add versions with <code>PUT /api/v1/plugins/${plugin.namespace}/${plugin.name}/versions/{version}</code>.</p>`;
}

function versionNotFound(plugin: PluginDetailView, version: string): Page {
  const id = `${plugin.namespace}/${plugin.name}`;
  return {
    status: 404,
    html: layout(
      { title: 'No such version' },
      html`<h1>No such version</h1>
<div class="notice bad" role="alert"><p>${id} has no version ${version}.</p></div>
${plugin.versions.length > 0 ? html`<p>Its versions: ${plugin.versions.map((v, i) => html`${i > 0 ? ', ' : ''}<a href="/plugins/${id}/${v.version}">${v.version}</a>`)}.</p>` : html`<p>It has no versions yet.</p>`}
<p><a href="/plugins/${id}">${id}</a> · <a href="/search">Search plugins</a></p><p class="small muted">HTTP 404</p>`,
    ),
  };
}

function versionSection(plugin: PluginDetailView, v: VersionView, why: Choice, details: VersionDetails): Html {
  const id = `${plugin.namespace}/${plugin.name}`;
  const page = `/api/v1/plugins/${id}/versions/${v.version}`;
  return html`<h2 id="version-heading">Version ${v.version} ${statusBadge(v)}${v.version === plugin.latestVersion ? html` <span class="badge ok">latest</span>` : ''}</h2>
<p class="meta"><span>Published ${day(v.createdAt)}</span><span>${plural(v.size, 'byte')}</span><span>${plural(v.downloads, 'download')}</span><a href="#versions">All ${plural(plugin.versions.length, 'version')}</a></p>
${statusNotices(plugin, v, why)}
${readmeSection(v, details.contract)}
${pinSection(v, page)}
${configSection(v, page, details)}
${configureSection(v, `/plugins/${id}/${v.version}`, details.contract)}
${tryItSection(v, `/plugins/${id}/${v.version}/try#try-it`, details.tryIt)}
${v.status === 'pending' ? '' : trialSection(v, page, details.trial)}
${capabilityDiffSection(details.capabilityDiff, page)}
${upgradeNotesSection(details.contract)}
${
  details.analysis === null
    ? analysisUnavailable('The analysis runs when the version is processed; it is not done yet.')
    : details.analysis.status === 200
      ? analysisView(details.analysis.json, `${page}/analysis`)
      : analysisUnavailable(`The analysis could not be read: ${problem(details.analysis)}`)
}
${signatureSection(v, page, details)}
<section id="sbom-section" aria-labelledby="sbom-heading">
<h2 id="sbom-heading">Software bill of materials</h2>
${
  details.sbom === null
    ? sbomUnavailable('it is made when the version is processed.')
    : details.sbom.status === 200 && details.sbom.json
      ? sbomView(details.sbom.json, { json: `${page}/sbom`, xml: `${page}/sbom?format=xml` })
      : sbomUnavailable(problem(details.sbom))
}
</section>`;
}

function statusNotices(plugin: PluginDetailView, v: VersionView, why: Choice): Html {
  const id = `${plugin.namespace}/${plugin.name}`;
  const latest = plugin.latestVersion;
  const rejections: FindingView[] = v.analysis?.rejections ?? [];
  const moreRejections = v.analysis?.omitted?.rejections ?? 0;
  return html`${advisoryNotice(v)}${
    why === 'newest'
      ? html`<div class="notice" role="note">${id} has no ready version that is not yanked, so search does not list it. This is its newest version, ${v.version}, which is ${v.yanked ? 'yanked' : v.status}.</div>`
      : ''
  }${
    v.yanked
      ? html`<div class="notice bad" role="alert"><strong>Yanked</strong>${v.yankedAt ? html` on ${day(v.yankedAt)}` : ''}: ${sentence(v.yankReason ?? 'no reason given')}${
          v.yankAdvisory ? html` See advisory <a href="/api/v1/advisories/${v.yankAdvisory}">${v.yankAdvisory}</a>.` : ''
        }
<p class="small">It stays downloadable by version and digest so that pinned deployments keep working, but it is never “latest”.${latest ? html` Prefer <a href="/plugins/${id}/${latest}">${latest}</a>.` : ''}</p></div>`
      : ''
  }${
    v.status === 'rejected'
      ? html`<div class="notice bad" role="alert"><strong>Rejected:</strong> the registry's checks refused this version, so it is never served as “latest” and no proxy configuration is given for it.${
          rejections.length > 0
            ? html`<ul>${rejections.map(findingItem)}${moreRejections > 0 ? html`<li>…and ${plural(moreRejections, 'more reason')}: see the analysis below.</li>` : ''}</ul>`
            : html`<p>${v.statusReason ?? 'No reason was recorded.'}</p>`
        }</div>`
      : ''
  }${
    v.status === 'failed'
      ? html`<div class="notice bad" role="alert"><strong>Processing failed</strong> after the last attempt${v.statusReason ? html`: ${v.statusReason}` : ''}. An admin can retry it.${pipelineList(v)}</div>`
      : ''
  }${
    v.status === 'pending'
      ? html`<div class="notice" role="status"><strong>Being processed.</strong> The registry is analysing, describing and signing this version; its configuration, analysis, signature and SBOM appear here once it is ready. <a href="/plugins/${id}/${v.version}">Reload</a> in a few seconds.${pipelineList(v)}</div>`
      : ''
  }${
    why === 'url' && latest !== null && latest !== v.version && !v.yanked && v.status !== 'rejected'
      ? html`<p class="notice" role="note">This is not the latest version: that is <a href="/plugins/${id}/${latest}">${latest}</a>.</p>`
      : ''
  }`;
}

function pipelineList(v: VersionView): Html {
  if (v.pipeline.length === 0) return html``;
  return html`<ul class="small">${v.pipeline.map(
    (s) => html`<li>${s.step}: ${s.state}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}${s.error ? html` — <span>${s.error}</span>` : ''}</li>`,
  )}</ul>`;
}

function pinSection(v: VersionView, page: string): Html {
  const pinned = v.pinned;
  const oci = pinned?.oci ?? null;
  return html`<section id="pin" aria-labelledby="pin-heading">
<h2 id="pin-heading">Pin this version</h2>
<dl class="kv">
<dt>Digest</dt><dd><div class="copyable"><code id="digest">${v.digest}</code>${copyButton('digest', 'Copy digest')}</div></dd>
${
  pinned
    ? html`<dt>Pinned URL</dt><dd><div class="copyable"><code id="pinned-url">${pinned.url}</code>${copyButton('pinned-url', 'Copy pinned URL')}</div><span class="small muted">By digest: never changes, cacheable forever.</span></dd>
${oci ? html`<dt>OCI</dt><dd><div class="copyable"><code id="oci-reference">${oci.pinnedReference}</code>${copyButton('oci-reference', 'Copy OCI reference')}</div><span class="small muted">By tag: <code>${oci.reference}</code></span></dd>` : ''}`
    : html`<dt>Pinned URL</dt><dd class="muted">None: only ready versions are pinned. The module stays reachable by its digest, for audit.</dd>`
}
</dl>
${
  pinned
    ? html`<h3>Which sha256 to check</h3>
<div class="table-wrap"><table class="digests">
<thead><tr><th scope="col">Where</th><th scope="col">Compares with</th><th scope="col">sha256</th></tr></thead>
<tbody>
<tr><td>Envoy <code>remote.sha256</code>; Istio with the https:// URL</td><td>the module's bytes</td><td><code>${pinned.sha256}</code></td></tr>
${oci ? html`<tr><td>Istio with the oci:// URL</td><td>the OCI manifest (not the module)</td><td><code>${oci.sha256}</code></td></tr>` : ''}
</tbody></table></div>`
    : ''
}
<p class="small"><a href="${page}/module.wasm" download>Download the module</a> (${plural(v.size, 'byte')}) · <a href="${page}">This version in the API (JSON)</a></p>
</section>`;
}

function configSection(v: VersionView, page: string, d: VersionDetails): Html {
  const envoyUrl = `${page}/config/envoy`;
  const istioUrl = `${page}/config/istio`;
  let content: Html;
  if (d.envoy === null || d.istio === null) {
    content = html`<p class="muted">The configuration is generated once the version is ready.</p>`;
  } else if (d.envoy.status !== 200 && d.istio.status !== 200 && problem(d.envoy) === problem(d.istio)) {
    content = html`<div class="notice bad"><strong>No configuration:</strong> ${problem(d.envoy)}</div>`;
  } else {
    content = html`<h3 id="envoy-heading">Envoy</h3>
${configBlock('envoy-config', 'Copy Envoy configuration', d.envoy, 'envoy-heading')}
<p class="small">The API also gives it <a href="${envoyUrl}?format=json">as JSON</a>, and takes <code>runtime</code>, <code>fail_open</code>, <code>configuration</code>, <code>vm_id</code>, <code>cluster</code> and <code>timeout</code> as query parameters: <a href="${envoyUrl}">${envoyUrl}</a>.</p>
<h3 id="istio-heading">Istio</h3>
${configBlock('istio-config', 'Copy Istio configuration', d.istio, 'istio-heading')}
<p class="small">Two WasmPlugin alternatives (https:// and oci://): apply one. Query parameters <code>phase</code>, <code>priority</code>, <code>namespace</code>, <code>selector</code> and <code>source</code> tailor it: <a href="${istioUrl}">${istioUrl}</a>.</p>`;
  }
  return html`<section id="config" aria-labelledby="config-heading">
<h2 id="config-heading">Proxy configuration</h2>
${v.yanked && d.envoy?.status === 200 ? html`<p class="notice">This version is yanked: pin it only to keep an existing deployment running.</p>` : ''}
${content}
</section>`;
}

function configBlock(id: string, label: string, answer: ApiAnswer, headingId: string): Html {
  if (answer.status !== 200) return html`<div class="notice bad">Not available: ${problem(answer)}</div>`;
  return html`<div class="copyable"><pre id="${id}" tabindex="0" aria-labelledby="${headingId}">${answer.text}</pre>${copyButton(id, label)}</div>`;
}

function signatureSection(v: VersionView, page: string, d: VersionDetails): Html {
  if (d.signature === null) return signatureUnavailable('the version is signed once it has been processed.');
  if (d.signature.status !== 200) return signatureUnavailable(problem(d.signature));
  const origin = new URL(v.links.self);
  const verification: VerificationAnswer | { problem: string } =
    d.verification === null ? { problem: 'the signature was not checked.' } : d.verification.status === 200 ? d.verification.json : { problem: `the verify endpoint refused it: ${problem(d.verification)}` };
  return signatureView({
    bundle: d.signature.json,
    verification,
    links: { bundle: `${page}/signature`, keys: '/api/v1/keys' },
    absolute: { bundle: v.links.signature, keys: new URL('/api/v1/keys', origin).toString(), module: v.links.module },
  });
}

/** Advisories in force on the version: severity, summary, the fix. */
function advisoryNotice(v: VersionView): Html | string {
  if (v.advisories.length === 0) return '';
  return html`<div class="notice bad" role="alert" id="advisories"><strong>${v.advisories.length === 1 ? 'A security advisory affects' : `${v.advisories.length} security advisories affect`} this version</strong>
<ul>${v.advisories.map(
    (a) =>
      html`<li><span class="badge ${a.severity === 'critical' || a.severity === 'high' ? 'bad' : 'warn'}">${a.severity} ${a.score.toFixed(1)}</span> <a href="/api/v1/advisories/${a.id}">${a.id}</a>: ${a.summary}. ${
        a.fixedIn ? html`Fixed in ${a.fixedIn}.` : 'No fixed version yet.'
      }</li>`,
  )}</ul></div>`;
}

function versionList(plugin: PluginDetailView, current: string | null): Html {
  const id = `${plugin.namespace}/${plugin.name}`;
  return html`<section id="versions" aria-labelledby="versions-heading">
<h2 id="versions-heading">Versions</h2>
${
  plugin.versions.length === 0
    ? html`<p class="empty">No versions published yet.</p>`
    : html`<ul class="plain versions">${plugin.versions.map(
        (v) => html`<li${v.version === current ? html` aria-current="page"` : ''}><a href="/plugins/${id}/${v.version}">${v.version}</a> ${statusBadge(v)}${v.version === plugin.latestVersion ? html` <span class="badge ok">latest</span>` : ''}
<div class="small muted">${day(v.createdAt)} · ${plural(v.downloads, 'download')}</div>${
          v.advisories.length > 0 ? html`<div class="small"><span class="badge bad">${v.advisories.length === 1 ? '1 advisory' : `${v.advisories.length} advisories`}</span> ${v.advisories[0]!.severity}</div>` : ''
        }${
          v.yanked && v.yankReason ? html`<div class="small">Yanked: ${v.yankReason}</div>` : ''
        }${v.status === 'rejected' ? html`<div class="small">Rejected: ${v.statusReason ?? 'no reason recorded'}</div>` : ''}${
          v.status === 'failed' && v.statusReason ? html`<div class="small">Failed: ${v.statusReason}</div>` : ''
        }</li>`,
      )}</ul>`
}
</section>`;
}

function downloadsSection(plugin: PluginDetailView, stats: ApiAnswer<PluginStatsView>, current: string | null): Html {
  let content: Html;
  if (stats.status !== 200) {
    content = html`<p class="notice">The download statistics could not be read: ${problem(stats)}</p>`;
  } else {
    const mine = current === null ? undefined : stats.json.versions.find((v) => v.version === current);
    const note = mine && stats.json.total.downloads > 0 ? `all versions; ${count(mine.downloads)} of them ${current}` : 'all versions';
    content = downloadChart(stats.json.total.series, { note });
  }
  return html`<section id="downloads" aria-labelledby="downloads-heading">
<h2 id="downloads-heading">Downloads, last 30 days</h2>
${content}
<p class="small muted">${plural(plugin.downloads, 'download')} all time. <a href="/api/v1/plugins/${plugin.namespace}/${plugin.name}/stats">Statistics in the API</a></p>
</section>`;
}
