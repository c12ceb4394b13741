import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { parseReference, pluginPath, versionPath } from '../references.js';
import type { VersionView } from '../views.js';

export async function yank(context: Context, options: { reference: string; reason?: string; advisory?: string }): Promise<void> {
  const ref = parseReference(options.reference, { versionRequired: true });
  const client = await context.client({ requireToken: true });
  const body = { ...(options.reason ? { reason: options.reason } : {}), ...(options.advisory ? { advisory: options.advisory } : {}) };
  const version = await client.json<VersionView>('PUT', `${versionPath(ref, ref.version!)}/yank`, body);
  if (context.flags.json) return context.terminal.json(version);
  context.terminal.line(`Yanked ${ref.namespace}/${ref.name}@${ref.version}: it is no longer offered as the latest, and pinned deployments keep working.`);
}

export async function unyank(context: Context, options: { reference: string }): Promise<void> {
  const ref = parseReference(options.reference, { versionRequired: true });
  const client = await context.client({ requireToken: true });
  const version = await client.json<VersionView>('DELETE', `${versionPath(ref, ref.version!)}/yank`);
  if (context.flags.json) return context.terminal.json(version);
  context.terminal.line(`${ref.namespace}/${ref.name}@${ref.version} is no longer yanked.`);
}

export async function deprecate(context: Context, options: { reference: string; message?: string; undo: boolean }): Promise<void> {
  const ref = parseReference(options.reference);
  if (ref.version !== null || ref.digest !== null) throw usageError('deprecate applies to a whole plugin', `wpr deprecate ${ref.namespace}/${ref.name} --message "use acme/other instead"; to pull one version, use wpr yank`);
  if (!options.undo && !options.message) throw usageError('deprecate needs --message', 'say why, and what to use instead; --undo removes a deprecation');
  const client = await context.client({ requireToken: true });
  const answer = options.undo ? await client.json<unknown>('DELETE', `${pluginPath(ref)}/deprecation`) : await client.json<unknown>('PUT', `${pluginPath(ref)}/deprecation`, { message: options.message });
  if (context.flags.json) return context.terminal.json(answer);
  context.terminal.line(options.undo ? `${ref.namespace}/${ref.name} is no longer deprecated.` : `Deprecated ${ref.namespace}/${ref.name}.`);
}

interface OsvRecord {
  id: string;
  summary: string;
  modified: string;
  withdrawn?: string;
  severity: { type: string; score: string }[];
  affected: { ranges: { events: Record<string, string>[] }[]; versions?: string[] }[];
  database_specific?: { severity?: string; score?: number };
}

export interface AdvisoryPublishOptions {
  reference: string;
  file?: string;
  summary?: string;
  details?: string;
  severity?: string;
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
  alias: string[];
}

/** `advisory publish`: from --file (the API's body, JSON or YAML) or from flags for one affected range. */
export async function publishAdvisory(context: Context, options: AdvisoryPublishOptions): Promise<void> {
  const ref = parseReference(options.reference);
  let body: unknown;
  if (options.file !== undefined) {
    const text = await readFile(options.file, 'utf8').catch((error: Error) => {
      throw usageError(`cannot read --file ${options.file}: ${error.message}`);
    });
    body = parseYaml(text, { maxAliasCount: 64 });
  } else {
    if (!options.summary || !options.severity) throw usageError('an advisory needs --summary and --severity (a CVSS vector), or --file', 'e.g. --summary "JWT signature not checked" --severity CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H --fixed 1.2.1');
    const range: Record<string, string> = { introduced: options.introduced ?? '0' };
    if (options.fixed) range.fixed = options.fixed;
    if (options.lastAffected) range.lastAffected = options.lastAffected;
    body = { summary: options.summary, ...(options.details ? { details: options.details } : {}), severity: options.severity, affected: [range], ...(options.alias.length ? { aliases: options.alias } : {}) };
  }
  const client = await context.client({ requireToken: true });
  const record = await client.json<OsvRecord>('POST', `${pluginPath(ref)}/advisories`, body);
  if (context.flags.json) return context.terminal.json(record);
  context.terminal.line(`Published ${record.id} for ${ref.namespace}/${ref.name}: ${record.summary}`);
}

export async function listAdvisories(context: Context, options: { reference: string }): Promise<void> {
  const ref = parseReference(options.reference);
  const client = await context.client();
  const list = await client.json<{ advisories: OsvRecord[] }>('GET', `${pluginPath(ref)}/advisories`);
  if (context.flags.json) return context.terminal.json(list);
  if (list.advisories.length === 0) return context.terminal.line(`No advisories for ${ref.namespace}/${ref.name}.`);
  context.terminal.line(
    context.terminal.table(
      ['ID', 'SEVERITY', 'AFFECTED', 'SUMMARY'],
      list.advisories.map((a) => [a.id, `${a.database_specific?.severity ?? '?'} ${a.database_specific?.score ?? ''}`.trim() + (a.withdrawn ? ' (withdrawn)' : ''), ranges(a), a.summary]),
    ),
  );
}

export async function showAdvisory(context: Context, options: { id: string }): Promise<void> {
  const client = await context.client();
  const record = await client.json<OsvRecord>('GET', `/api/v1/advisories/${encodeURIComponent(options.id)}`);
  context.terminal.json(record);
}

export async function withdrawAdvisory(context: Context, options: { id: string; reason: string }): Promise<void> {
  const client = await context.client({ requireToken: true });
  const record = await client.json<OsvRecord>('PUT', `/api/v1/advisories/${encodeURIComponent(options.id)}/withdrawal`, { reason: options.reason });
  if (context.flags.json) return context.terminal.json(record);
  context.terminal.line(`Withdrew ${record.id}.`);
}

function ranges(record: OsvRecord): string {
  return record.affected
    .flatMap((a) => a.ranges.map((r) => r.events.map((e) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join('')).join(', ')))
    .join('; ');
}
