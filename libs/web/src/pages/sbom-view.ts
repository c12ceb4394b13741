import { html, type Html } from '../html.js';

/** The parts of a CycloneDX (1.4-1.6) JSON BOM the page shows; anything may be missing. */
export interface CycloneDxLicenseChoice {
  license?: { id?: string; name?: string };
  expression?: string;
}

export interface CycloneDxComponent {
  type?: string;
  group?: string;
  name?: string;
  version?: string;
  purl?: string;
  scope?: string;
  licenses?: CycloneDxLicenseChoice[];
  components?: CycloneDxComponent[];
}

export interface CycloneDxBom {
  bomFormat?: string;
  specVersion?: string;
  metadata?: {
    timestamp?: string;
    component?: CycloneDxComponent;
    tools?: { components?: CycloneDxComponent[] } | CycloneDxComponent[];
    properties?: { name?: string; value?: string }[];
  };
  components?: CycloneDxComponent[];
}

/** Every component of the BOM, nested ones included, in document order. */
export function sbomComponents(bom: CycloneDxBom): CycloneDxComponent[] {
  const out: CycloneDxComponent[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as CycloneDxComponent[]) {
      if (c === null || typeof c !== 'object') continue;
      out.push(c);
      walk(c.components);
    }
  };
  walk(bom.components);
  return out;
}

/** "Apache-2.0", "MIT OR Apache-2.0", or "" when the component names none. */
export function licenseText(licenses: CycloneDxLicenseChoice[] | undefined): string {
  if (!Array.isArray(licenses)) return '';
  return licenses
    .map((l) => l?.expression ?? l?.license?.id ?? l?.license?.name ?? '')
    .filter((t) => t !== '')
    .join(', ');
}

/** Components the page lists: a publisher may declare 2,000; the documents below have them all. */
export const SBOM_COMPONENTS_SHOWN = 200;

const componentName = (c: CycloneDxComponent): string => (c.group ? `${c.group}/${c.name ?? ''}` : (c.name ?? ''));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface SbomLinks {
  /** The API URL of the CycloneDX JSON. */
  json: string;
  /** A URL that answers the XML, when the API has one a plain link can reach; null otherwise. */
  xml: string | null;
}

/**
 * The SBOM as a table of its components, inside a <details> (it opens without
 * a script), with links to the CycloneDX documents themselves.
 */
export function sbomView(bom: CycloneDxBom, links: SbomLinks): Html {
  const components = sbomComponents(bom);
  const subject = bom.metadata?.component;
  const tools = Array.isArray(bom.metadata?.tools) ? bom.metadata.tools : (bom.metadata?.tools?.components ?? []);
  const declared = (bom.metadata?.properties ?? []).filter((p) => typeof p?.name === 'string' && p.name.endsWith('declared-dependencies:file')).map((p) => p.value ?? '');
  const noneDeclared = (bom.metadata?.properties ?? []).some((p) => typeof p?.name === 'string' && p.name.endsWith('declared-dependencies') && p.value === 'none');

  return html`<details id="sbom">
<summary>SBOM: ${plural(components.length, 'component')}</summary>
<p class="small">CycloneDX ${bom.specVersion ?? ''}${subject ? html` describing <strong>${componentName(subject)}</strong> ${subject.version ?? ''}${licenseText(subject.licenses) ? html` (${licenseText(subject.licenses)})` : ''}` : ''}${
    tools.length > 0 ? html`, made by ${tools.map((t, i) => html`${i > 0 ? ', ' : ''}${t.name ?? ''} ${t.version ?? ''}`)}` : ''
  }${bom.metadata?.timestamp ? html` on <time datetime="${bom.metadata.timestamp}">${bom.metadata.timestamp.slice(0, 10)}</time>` : ''}.
${declared.length > 0 ? html` Components from the publisher's ${declared.map((f, i) => html`${i > 0 ? ', ' : ''}<code>${f}</code>`)}.` : ''}</p>
<div class="table-wrap"><table id="sbom-components">
<thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Package URL</th><th scope="col">License</th><th scope="col">Type</th></tr></thead>
<tbody>${
  components.length === 0
    ? html`<tr><td colspan="5" class="empty-row">No third-party components.${noneDeclared ? ' The publisher declared no dependencies (no lockfile was sent with the module).' : ''}</td></tr>`
    : components.slice(0, SBOM_COMPONENTS_SHOWN).map(
        (c) => html`<tr><td>${componentName(c)}</td><td>${c.version ?? ''}</td><td><code class="purl">${c.purl ?? ''}</code></td><td>${licenseText(c.licenses) || html`<span class="muted">not stated</span>`}</td><td>${c.type ?? ''}${
          c.scope === 'excluded' ? html` <span class="badge">development only</span>` : c.scope === 'optional' ? html` <span class="badge">optional</span>` : ''
        }</td></tr>`,
      )
}${
  components.length > SBOM_COMPONENTS_SHOWN
    ? html`<tr><td colspan="5" class="empty-row">…and ${(components.length - SBOM_COMPONENTS_SHOWN).toLocaleString('en-US')} more components, in the JSON and XML below.</td></tr>`
    : ''
}</tbody>
</table></div>
<p class="small">Download: <a id="sbom-json" href="${links.json}" type="application/vnd.cyclonedx+json">JSON</a>${
    links.xml !== null
      ? html` · <a id="sbom-xml" href="${links.xml}" type="application/vnd.cyclonedx+xml">XML</a>`
      : html` · XML from the same URL with <code>Accept: application/vnd.cyclonedx+xml</code>`
  }</p>
</details>`;
}

/** Where the SBOM would be, when the API has none to give (not ready, rejected, unreadable). */
export function sbomUnavailable(reason: string): Html {
  return html`<p class="muted" id="sbom-unavailable">No SBOM to show: ${reason}</p>`;
}
