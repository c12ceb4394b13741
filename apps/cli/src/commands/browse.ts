import { usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { parseReference, pluginPath, versionPath } from '../references.js';
import { formatBytes } from '../terminal.js';
import type { CatalogPage, PluginDetailView, VersionView } from '../views.js';
import { trialSummary } from './publish.js';

/** `info ns/name`: the plugin and its versions; `info ns/name@version` (or @sha256:…): one version. */
export async function info(context: Context, raw: string): Promise<void> {
  const ref = parseReference(raw);
  const client = await context.client();
  const { terminal } = context;
  if (ref.version === null && ref.digest === null) {
    const plugin = await client.json<PluginDetailView>('GET', pluginPath(ref));
    if (context.flags.json) return terminal.json(plugin);
    terminal.line(`${terminal.paint('bold', `${plugin.namespace}/${plugin.name}`)}  ${plugin.description}`.trimEnd());
    if (plugin.deprecation) terminal.line(terminal.paint('yellow', `Deprecated: ${plugin.deprecation.message}`));
    const facts: [string, string | null][] = [
      ['Latest', plugin.latestVersion],
      ['License', plugin.license],
      ['Categories', plugin.categories.join(', ') || null],
      ['Downloads', String(plugin.downloads)],
      ['Homepage', plugin.homepage],
      ['Repository', plugin.repository],
    ];
    for (const [label, value] of facts) if (value) terminal.line(`${`${label}:`.padEnd(12)}${value}`);
    terminal.line();
    terminal.line(versionTable(context, plugin.versions));
    return;
  }
  const version = await findVersion(context, ref);
  if (context.flags.json) return terminal.json(version);
  terminal.line(`${terminal.paint('bold', `${version.namespace}/${version.plugin}@${version.version}`)}  ${statusText(context, version)}`);
  if (version.statusReason) terminal.line(`Reason:     ${version.statusReason}`);
  if (version.yanked) terminal.line(terminal.paint('yellow', `Yanked:     ${version.yankReason ?? 'no reason given'}`));
  for (const advisory of version.advisories) terminal.line(terminal.paint('red', `Advisory:   ${advisory.id} (${advisory.severity}) ${advisory.summary}${advisory.fixedIn ? `; fixed in ${advisory.fixedIn}` : ''}`));
  terminal.line(`sha256:     ${version.digest}`);
  terminal.line(`Size:       ${formatBytes(version.size)}`);
  if (version.analysis) terminal.line(`ABI:        ${version.analysis.abiVersion ?? 'none'} (${version.analysis.kind}${version.analysis.filterTypes.length ? `, ${version.analysis.filterTypes.join('/')} filter` : ''})`);
  if (version.trial) terminal.line(`Trial:      ${trialSummary(version.trial)}`);
  if (version.pinned) terminal.line(`Pinned:     ${version.pinned.url}`);
  if (version.pinned?.oci) terminal.line(`OCI:        ${version.pinned.oci.pinnedReference}`);
  if (version.contract?.examples?.names.length) terminal.line(`Examples:   ${version.contract.examples.names.join(', ')}`);
  terminal.line(`Downloads:  ${version.downloads}`);
  for (const f of version.analysis?.warnings ?? []) terminal.line(`  ${terminal.paint('yellow', '!')} ${f.code}: ${f.message}`);
  for (const f of version.analysis?.rejections ?? []) terminal.line(`  ${terminal.paint('red', '✖')} ${f.code}: ${f.message}`);
}

export async function versions(context: Context, raw: string): Promise<void> {
  const ref = parseReference(raw);
  if (ref.version !== null || ref.digest !== null) throw usageError('versions takes a plugin, not a version', `wpr versions ${ref.namespace}/${ref.name}`);
  const client = await context.client();
  const list = await client.json<{ items: VersionView[] }>('GET', `${pluginPath(ref)}/versions`);
  if (context.flags.json) return context.terminal.json(list);
  context.terminal.line(versionTable(context, list.items));
}

export async function search(context: Context, query: string | undefined, options: { category?: string; limit: number; sort?: string }): Promise<void> {
  const client = await context.client();
  const params = new URLSearchParams();
  if (query) params.set('q', query);
  if (options.category) params.set('category', options.category);
  if (options.sort) params.set('sort', options.sort);
  params.set('limit', String(options.limit));
  const page = await client.json<CatalogPage>('GET', `/api/v1/plugins?${params}`);
  if (context.flags.json) return context.terminal.json(page);
  const { terminal } = context;
  if (page.items.length === 0) return terminal.line(query ? `No plugin matches ${JSON.stringify(query)}.` : 'No plugins yet.');
  terminal.line(
    terminal.table(
      ['PLUGIN', 'LATEST', 'DOWNLOADS', 'SIGNED', 'DESCRIPTION'],
      page.items.map((p) => [
        `${p.namespace}/${p.name}${p.deprecation ? ' (deprecated)' : ''}${p.advisories ? ` [${p.advisories.severity} advisory]` : ''}`,
        p.latestVersion,
        p.downloads,
        p.signed ? 'yes' : 'no',
        shorten(p.description, 60),
      ]),
    ),
  );
  if (page.nextCursor) terminal.line(terminal.paint('dim', `More results: --limit ${Math.min(100, options.limit * 2)}, or --json for the cursor.`));
}

/** The version a reference names: by number, or the one whose module has that sha256. */
export async function findVersion(context: Context, ref: ReturnType<typeof parseReference>): Promise<VersionView> {
  const client = await context.client();
  if (ref.version !== null) return client.json<VersionView>('GET', versionPath(ref, ref.version));
  const list = await client.json<{ items: VersionView[] }>('GET', `${pluginPath(ref)}/versions`);
  if (ref.digest !== null) {
    const match = list.items.find((v) => v.digest === ref.digest);
    if (!match) throw usageError(`no version of ${ref.namespace}/${ref.name} has the module ${ref.digest}`, `wpr versions ${ref.namespace}/${ref.name} lists each version's sha256`);
    return match;
  }
  const plugin = await client.json<PluginDetailView>('GET', pluginPath(ref));
  if (plugin.latestVersion === null) throw usageError(`${ref.namespace}/${ref.name} has no ready version yet`, 'name one: ns/name@1.2.0');
  return client.json<VersionView>('GET', versionPath(ref, plugin.latestVersion));
}

function versionTable(context: Context, items: VersionView[]): string {
  return context.terminal.table(
    ['VERSION', 'STATUS', 'SHA256', 'SIZE', 'DOWNLOADS', 'PUBLISHED'],
    items.map((v) => [v.version, statusText(context, v), `${v.digest.slice(0, 19)}…`, formatBytes(v.size), v.downloads, v.createdAt.slice(0, 10)]),
  );
}

function statusText(context: Context, version: VersionView): string {
  const { terminal } = context;
  const base = version.status === 'ready' ? terminal.paint('green', 'ready') : version.status === 'pending' ? terminal.paint('yellow', 'pending') : terminal.paint('red', version.status);
  const marks = [version.yanked ? 'yanked' : null, version.advisories.length > 0 ? `${version.advisories.length} advisor${version.advisories.length === 1 ? 'y' : 'ies'}` : null].filter(Boolean);
  return marks.length > 0 ? `${base} (${marks.join(', ')})` : base;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
