import { checkFailed, usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { parseReference, versionPath } from '../references.js';

export interface ConfigOptions {
  reference: string;
  host: 'envoy' | 'istio';
  example?: string;
  set: string[];
  format?: 'yaml' | 'json';
}

interface ConfigurationCheck {
  checked: boolean;
  valid: boolean;
  errors: { pointer: string; rule: string; message: string }[];
  summary: string;
}

/**
 * Prints ready-to-paste Envoy or Istio configuration for a version. The
 * plugin's configuration (an example, changed by --set) is checked against the
 * version's schema first, and every error is shown with its JSON Pointer.
 */
export async function config(context: Context, options: ConfigOptions): Promise<void> {
  const ref = parseReference(options.reference, { versionRequired: true });
  const client = await context.client();
  const path = versionPath(ref, ref.version!);
  const query = new URLSearchParams();
  if (options.set.length > 0) {
    let configuration: unknown = {};
    if (options.example !== undefined) {
      const examples = await client.json<{ items: { name: string; configuration: unknown }[] }>('GET', `${path}/examples`);
      const example = examples.items.find((e) => e.name === options.example);
      if (!example) throw usageError(`${ref.namespace}/${ref.name}@${ref.version} has no example ${JSON.stringify(options.example)}`, `its examples: ${examples.items.map((e) => e.name).join(', ') || 'none'}`);
      configuration = example.configuration;
    }
    for (const assignment of options.set) configuration = applySet(configuration, assignment);
    const check = await client.json<ConfigurationCheck>('POST', `${path}/config/validate`, configuration);
    if (check.checked && !check.valid) {
      for (const error of check.errors) context.terminal.error(`${error.pointer || '/'}: ${error.message} (${error.rule})`, null);
      throw checkFailed(`the configuration does not satisfy the schema of ${ref.namespace}/${ref.name}@${ref.version}`, 'fix the --set values above; wpr info shows the examples');
    }
    if (!check.checked) context.terminal.warn(check.summary);
    query.set('configuration', JSON.stringify(configuration));
  } else if (options.example !== undefined) {
    query.set('example', options.example);
  }
  const format = context.flags.json ? 'json' : (options.format ?? 'yaml');
  query.set('format', format);
  const response = await client.send('GET', `${path}/config/${options.host}?${query}`, { accept: format === 'json' ? 'application/json' : 'application/yaml' });
  const warning = response.headers.get('warning');
  if (warning) context.terminal.warn(warning);
  process.stdout.write(await response.text());
}

/** `a.b=1`, `list.0=x`, `name="quoted"`: the value is JSON when it parses as JSON, else a string. */
export function applySet(configuration: unknown, assignment: string): unknown {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw usageError(`--set ${JSON.stringify(assignment)} is not key=value`, 'e.g. --set issuer=https://auth.example.com --set rules.0.limit=100');
  const keys = assignment.slice(0, equals).split('.');
  const raw = assignment.slice(equals + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) throw usageError(`--set ${JSON.stringify(assignment)} has an empty or reserved key`);
  const root: Record<string, unknown> = isContainer(configuration) ? structuredClone(configuration as Record<string, unknown>) : {};
  let node: Record<string, unknown> = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    if (!isContainer(node[key])) node[key] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
  return root;
}

function isContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
