import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkbox, input } from '@inquirer/prompts';
import { Document } from 'yaml';
import { CATEGORIES, CATEGORY_SLUGS, licenseProblem, nameProblem } from '../../../../libs/domain/index.js';
import { usageError } from '../cli-error.js';
import type { Context } from '../context.js';

export interface InitOptions {
  directory: string;
  name?: string;
  description?: string;
  license?: string;
  category?: string[];
  module?: string;
  yes: boolean;
  force: boolean;
}

/**
 * Writes wasm-plugin.yaml (the manifest the registry reads), a configuration
 * schema stub and a README stub beside it. In a terminal it asks for what the
 * flags did not give; with --yes, or off a terminal, flags and defaults only.
 */
export async function init(context: Context, options: InitOptions): Promise<void> {
  const directory = resolve(options.directory);
  const manifestPath = join(directory, 'wasm-plugin.yaml');
  if (!options.force && (await exists(manifestPath))) throw usageError(`${manifestPath} already exists`, 'edit it, or pass --force to write a new one');
  const ask = context.terminal.interactive && !options.yes;

  const name = options.name ?? (ask ? await input({ message: 'Plugin name (namespace/name):', validate: (v) => fullNameProblem(v) ?? true }) : undefined);
  if (name === undefined) throw usageError('init needs the plugin name', 'pass --name namespace/name (or run it in a terminal to be asked)');
  const nameIssue = fullNameProblem(name);
  if (nameIssue) throw usageError(`--name ${nameIssue}`, 'e.g. --name acme/jwt-auth');
  const description = options.description ?? (ask ? await input({ message: 'Description (one sentence):', default: '' }) : '');
  const license = options.license ?? (ask ? await input({ message: 'License (SPDX id):', default: 'Apache-2.0', validate: (v) => licenseProblem('license', v)?.message ?? true }) : 'Apache-2.0');
  const spdx = licenseProblem('license', license);
  if (spdx) throw usageError(`--license ${spdx.message}`, 'e.g. Apache-2.0, MIT, or (MIT OR Apache-2.0)');
  const categories =
    options.category ?? (ask ? await checkbox({ message: 'Categories:', choices: CATEGORIES.map((c) => ({ name: c.name, value: c.slug })), pageSize: 12 }) : []);
  const unknown = categories.filter((c) => !CATEGORY_SLUGS.includes(c));
  if (unknown.length > 0) throw usageError(`unknown categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.join(', ')}`, `choose from ${CATEGORY_SLUGS.join(', ')}`);

  const manifest = new Document({
    manifest: 1,
    name,
    version: '0.1.0',
    ...(description ? { description } : {}),
    license,
    ...(categories.length > 0 ? { categories } : {}),
    module: options.module ?? `${name.split('/')[1]}.wasm`,
    readme: 'README.md',
    configSchema: 'config.schema.json',
    examples: [{ name: 'default', description: 'The smallest configuration that works.', configuration: {} }],
  });
  manifest.commentBefore = ' The plugin\'s manifest for the Wasm plugin registry (`wpr publish` reads it).\n Its JSON Schema: <registry>/api/v1/schemas/manifest';

  await mkdir(directory, { recursive: true });
  await writeFile(manifestPath, manifest.toString());
  const written = ['wasm-plugin.yaml'];
  const schemaPath = join(directory, 'config.schema.json');
  if (!(await exists(schemaPath))) {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: `${name} configuration`, type: 'object', properties: {}, additionalProperties: false };
    await writeFile(schemaPath, `${JSON.stringify(schema, null, 2)}\n`);
    written.push('config.schema.json');
  }
  const readmePath = join(directory, 'README.md');
  if (!(await exists(readmePath))) {
    await writeFile(readmePath, `# ${name}\n\n${description || 'What this plugin does.'}\n\n## Configuration\n\nSee config.schema.json.\n`);
    written.push('README.md');
  }
  if (context.flags.json) return context.terminal.json({ directory, written });
  context.terminal.line(`Wrote ${written.join(', ')} in ${directory}.`);
  context.terminal.line(`Next: build ${manifest.get('module') as string}, then run wpr publish --dry-run ${options.directory}`);
}

function fullNameProblem(value: string): string | null {
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0) return 'must be namespace/name';
  return nameProblem('namespace', namespace)?.message ?? nameProblem('name', name)?.message ?? null;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
