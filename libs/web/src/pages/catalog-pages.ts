import { formatCount, html, queryString, timeAgo, type Html } from '../html.js';
import { layout } from '../layout.js';

/** A plugin as search lists it (the API's CatalogEntryView). */
export interface Entry {
  namespace: string;
  name: string;
  description: string;
  categories: string[];
  latestVersion: string;
  latest: { abiVersion: string | null; kind: string | null; languages: string[]; hosts: string[] };
  downloads: number;
  recentDownloads: number;
  signed: boolean;
  deprecation: { message: string } | null;
  advisories: { count: number; severity: string; score: number } | null;
  updatedAt: string;
}

export interface Category {
  slug: string;
  name: string;
  description: string;
  plugins: number;
  share: number;
}

export function entryItem(entry: Entry, categories: readonly Category[]): Html {
  const names = new Map(categories.map((c) => [c.slug, c.name]));
  return html`<li>
  <h3 class="entry-title"><a href="/plugins/${entry.namespace}/${entry.name}">${entry.namespace}/${entry.name}</a>
    <span class="badge">${entry.latestVersion}</span>
    ${entry.signed ? html`<span class="badge ok" title="Signed by the registry (Sigstore)">signed</span>` : html`<span class="badge warn">unsigned</span>`}
    ${entry.deprecation ? html`<span class="badge bad" title="${entry.deprecation.message}">deprecated</span>` : ''}
    ${entry.advisories ? html`<span class="badge bad" title="${entry.advisories.count === 1 ? '1 advisory' : `${entry.advisories.count} advisories`} in force on ${entry.latestVersion}, the most severe ${entry.advisories.severity} (${entry.advisories.score})">advisory: ${entry.advisories.severity}</span>` : ''}
  </h3>
  <p class="entry-description">${entry.description || html`<span class="muted">No description.</span>`}</p>
  <div class="meta">
    <span>ABI ${entry.latest.abiVersion ?? 'none'}</span>
    <span>${entry.latest.kind ?? 'module'}</span>
    ${entry.latest.languages.length > 0 ? html`<span>${entry.latest.languages.join(', ')}</span>` : ''}
    <span title="${entry.downloads} downloads, ${entry.recentDownloads} in the last 7 days">${formatCount(entry.downloads)} downloads (${formatCount(entry.recentDownloads)} this week)</span>
    <span>updated <time datetime="${entry.updatedAt}">${timeAgo(entry.updatedAt)}</time></span>
    ${entry.categories.map((slug) => html`<a class="small" href="/categories/${slug}">${names.get(slug) ?? slug}</a>`)}
  </div>
</li>`;
}

export function entryList(entries: readonly Entry[], categories: readonly Category[], empty: Html): Html {
  if (entries.length === 0) return html`<div class="empty">${empty}</div>`;
  return html`<ul class="plain results">${entries.map((e) => entryItem(e, categories))}</ul>`;
}

export interface HomeData {
  categories: Category[];
  listed: number;
  popular: Entry[];
  recent: Entry[];
  summary: { plugins: number; versions: number; downloads: number; publishers: number };
}

export function homePage(data: HomeData): string {
  return layout(
    { title: 'Find WebAssembly plugins for Envoy and Istio' },
    html`<h1>Find WebAssembly plugins for Envoy and Istio</h1>
<p class="muted">${formatCount(data.summary.plugins)} plugins from ${data.summary.publishers} publishers, ${formatCount(data.summary.versions)} versions, ${formatCount(data.summary.downloads)} downloads. Every version is analysed, signed and described by an SBOM.</p>
<h2>Categories</h2>
<ul class="plain grid">${data.categories.map(
      (c) => html`<li class="card"><h3><a href="/categories/${c.slug}">${c.name}</a></h3><p class="small muted card-text">${c.description}</p><p class="small card-count">${c.plugins} plugin${c.plugins === 1 ? '' : 's'}</p></li>`,
    )}</ul>
<div class="layout halves">
  <section aria-labelledby="popular"><h2 id="popular">Most downloaded this week</h2>${entryList(data.popular, data.categories, html`No downloads this week yet.`)}
    <p><a href="/search?sort=downloads">All plugins by downloads</a></p></section>
  <section aria-labelledby="recent"><h2 id="recent">Recently updated</h2>${entryList(data.recent, data.categories, html`Nothing published yet.`)}
    <p><a href="/search?sort=recent">All plugins by release</a></p></section>
</div>`,
  );
}

export interface SearchData {
  params: Record<string, string>;
  categories: Category[];
  items: Entry[];
  total: number | null;
  nextCursor: string | null;
  /** Problems the API reported for these parameters. */
  errors: { field: string; message: string }[];
  heading?: string;
  title?: string;
  intro?: Html;
  /** The path the filter form and the pages point at. */
  path?: string;
}

const FILTERS: { name: string; label: string; options: [string, string][] }[] = [
  { name: 'abi', label: 'Proxy-Wasm ABI', options: [['', 'Any'], ['0.1.0', '0.1.0'], ['0.2.0', '0.2.0'], ['0.2.1', '0.2.1']] },
  { name: 'host', label: 'Runs on', options: [['', 'Any host'], ['envoy', 'Envoy'], ['istio', 'Istio'], ['mosn', 'MOSN']] },
  { name: 'kind', label: 'Kind', options: [['', 'Any'], ['module', 'Core module'], ['component', 'Component']] },
  { name: 'signed', label: 'Signature', options: [['', 'Any'], ['true', 'Signed'], ['false', 'Unsigned']] },
];
const SORTS: [string, string][] = [['', 'Best match'], ['relevance', 'Relevance'], ['downloads', 'Downloads'], ['recent', 'Recently updated'], ['name', 'Name']];

function select(name: string, label: string, options: readonly [string, string][], value: string | undefined): Html {
  return html`<label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map(
    ([v, text]) => html`<option value="${v}"${(value ?? '') === v ? html` selected` : ''}>${text}</option>`,
  )}</select>`;
}

export function searchPage(data: SearchData): string {
  const p = data.params;
  const path = data.path ?? '/search';
  const heading = data.heading ?? (p.q ? `Plugins matching “${p.q}”` : 'All plugins');
  const next = data.nextCursor === null ? null : `${path}${queryString({ ...p, cursor: data.nextCursor })}`;
  const count = data.total === null ? '' : `${data.total} plugin${data.total === 1 ? '' : 's'}`;
  return layout(
    { title: data.title ?? heading, query: p.q },
    html`<h1>${heading}</h1>
${data.intro ?? ''}
<div class="layout">
  <form method="get" action="${path}" aria-label="Filters">
    ${path === '/search' ? html`<label for="f-q">Text</label><input type="text" id="f-q" name="q" value="${p.q ?? ''}">` : ''}
    ${path.startsWith('/categories/') ? '' : select('category', 'Category', [['', 'Any category'], ...data.categories.map((c): [string, string] => [c.slug, c.name])], p.category)}
    ${FILTERS.map((f) => select(f.name, f.label, f.options, p[f.name]))}
    <label for="f-language">Language</label><input type="text" id="f-language" name="language" value="${p.language ?? ''}" placeholder="rust, go, c…">
    ${select('sort', 'Sort by', SORTS, p.sort)}
    <p><button type="submit">Apply</button> <a href="${path}">Clear</a></p>
  </form>
  <section aria-live="polite">
    ${data.errors.length > 0 ? html`<div class="notice bad" role="alert"><strong>These filters cannot be used:</strong><ul>${data.errors.map((e) => html`<li><code>${e.field.replace('query.', '')}</code>: ${e.message}</li>`)}</ul></div>` : ''}
    ${count ? html`<p class="muted">${count}${p.cursor ? ' (continued)' : ''}</p>` : ''}
    ${entryList(data.items, data.categories, html`No plugin matches. Try fewer words or filters, or <a href="/search">browse everything</a>.`)}
    <nav class="pages" aria-label="Pages">${p.cursor ? html`<a href="${path}${queryString({ ...p, cursor: null })}">First page</a>` : ''}${next ? html`<a href="${next}" rel="next">Next page</a>` : ''}</nav>
  </section>
</div>`,
  );
}

export function errorPage(status: number, title: string, detail: string): string {
  return layout({ title }, html`<h1>${title}</h1><div class="notice bad" role="alert"><p>${detail}</p></div><p><a href="/">Back to the catalog</a> · <a href="/search">Search plugins</a></p><p class="small muted">HTTP ${status}</p>`);
}
