import { openAsBlob } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { usageError } from './cli-error.js';

/** The file names `wpr` looks for, in this order. */
export const MANIFEST_FILES = ['wasm-plugin.yaml', 'wasm-plugin.yml', 'wasm-plugin.json'];
/** Lockfiles sent for the SBOM when the manifest lists none (the registry reads at most 4). */
export const LOCKFILES = ['Cargo.lock', 'go.mod', 'go.sum', 'package-lock.json'];
const READMES = ['README.md', 'readme.md', 'Readme.md'];
const MAX_LOCAL_FILE = 16 * 1024 * 1024;

export interface LocalFile {
  path: string;
  filename: string;
  size: number;
}

/** Everything `publish` sends, found from a directory (or a manifest, or a lone .wasm). */
export interface PluginFiles {
  namespace: string;
  name: string;
  version: string;
  module: LocalFile;
  /** The manifest as it will be sent: name and version rewritten when flags overrode them. */
  manifest: { filename: string; text: string } | null;
  readme: LocalFile | null;
  schema: LocalFile | null;
  dependencies: LocalFile[];
}

interface ManifestFields {
  name?: unknown;
  version?: unknown;
  module?: unknown;
  readme?: unknown;
  configSchema?: unknown;
  dependencies?: unknown;
}

/**
 * Reads what a publish needs. `target` is a plugin directory (with
 * wasm-plugin.yaml), a manifest file, or a .wasm file (then --name and
 * --version are required). Flags override the manifest's name and version.
 */
export async function readPluginFiles(target: string, overrides: { name?: string; version?: string }): Promise<PluginFiles> {
  const path = resolve(target);
  const info = await stat(path).catch(() => null);
  if (info === null) throw usageError(`${target} does not exist`, 'give a plugin directory, its wasm-plugin.yaml, or a .wasm file');
  let directory: string;
  let manifestPath: string | null = null;
  let modulePath: string | null = null;
  if (info.isDirectory()) {
    directory = path;
    for (const candidate of MANIFEST_FILES) {
      if (await isFile(join(path, candidate))) {
        manifestPath = join(path, candidate);
        break;
      }
    }
  } else if (path.endsWith('.wasm')) {
    directory = dirname(path);
    modulePath = path;
  } else {
    directory = dirname(path);
    manifestPath = path;
  }

  let fields: ManifestFields = {};
  let manifest: PluginFiles['manifest'] = null;
  let rewrite: ((name: string, version: string) => string) | null = null;
  if (manifestPath !== null) {
    const text = await readBounded(manifestPath, 256 * 1024, 'the manifest');
    const parsed = parseManifest(text, manifestPath);
    fields = parsed.fields;
    rewrite = parsed.rewrite;
    manifest = { filename: basename(manifestPath), text };
  }

  const fullName = overrides.name ?? stringField(fields.name, 'name', manifestPath);
  if (fullName === undefined) throw usageError('no plugin name', 'pass --name namespace/name, or put name: namespace/name in wasm-plugin.yaml (wpr init writes one)');
  const [namespace, name, ...rest] = fullName.split('/');
  if (!namespace || !name || rest.length > 0) throw usageError(`the plugin name ${JSON.stringify(fullName)} is not namespace/name`, 'e.g. --name acme/jwt-auth');
  const version = overrides.version ?? stringField(fields.version, 'version', manifestPath);
  if (version === undefined) throw usageError('no version', 'pass --version x.y.z, or put version: x.y.z in wasm-plugin.yaml');
  if (manifest !== null && rewrite !== null && (overrides.name !== undefined || overrides.version !== undefined)) {
    manifest = { ...manifest, text: rewrite(fullName, version) };
  }

  const moduleField = stringField(fields.module, 'module', manifestPath);
  modulePath ??= moduleField !== undefined ? join(directory, moduleField) : await onlyWasmIn(directory);
  const readmeField = stringField(fields.readme, 'readme', manifestPath);
  const readmePath = readmeField !== undefined ? join(directory, readmeField) : await firstExisting(directory, READMES);
  const schemaField = typeof fields.configSchema === 'string' ? fields.configSchema : undefined;
  const dependencyPaths = Array.isArray(fields.dependencies)
    ? fields.dependencies.map((d, i) => join(directory, stringField(d, `dependencies[${i}]`, manifestPath)!))
    : (await Promise.all(LOCKFILES.map(async (f) => ((await isFile(join(directory, f))) ? join(directory, f) : null)))).filter((p): p is string => p !== null);

  return {
    namespace,
    name,
    version,
    module: await localFile(modulePath, 'the module'),
    manifest,
    readme: readmePath === null ? null : await localFile(readmePath, 'the README'),
    schema: schemaField === undefined ? null : await localFile(join(directory, schemaField), 'the configuration schema'),
    dependencies: await Promise.all(dependencyPaths.map((p) => localFile(p, 'a dependency lockfile'))),
  };
}

/**
 * The multipart body of a publish, streamed from disk (openAsBlob reads each
 * file as it is sent), and its exact length: the same parts with empty
 * contents, encoded, are the framing; the files' sizes are the rest.
 */
export async function publishForm(files: PluginFiles, moduleDigest: string | null = null): Promise<{ form: FormData; contentLength: number }> {
  const parts: { field: string; filename: string; type: string; blob: Blob }[] = [];
  const add = async (field: string, file: LocalFile, type: string) => parts.push({ field, filename: file.filename, type, blob: await openAsBlob(file.path, { type }) });
  if (moduleDigest === null) await add('module', files.module, 'application/wasm');
  if (files.manifest !== null) parts.push({ field: 'manifest', filename: files.manifest.filename, type: 'text/plain', blob: new Blob([files.manifest.text], { type: 'text/plain' }) });
  if (files.readme !== null) await add('readme', files.readme, 'text/markdown');
  if (files.schema !== null) await add('schema', files.schema, 'application/json');
  for (const dependency of files.dependencies) await add('dependencies', dependency, 'text/plain');
  const form = new FormData();
  const framing = new FormData();
  // A module pushed before as an OCI blob is named, not sent (text fields are framing too).
  if (moduleDigest !== null) {
    form.append('moduleDigest', moduleDigest);
    framing.append('moduleDigest', moduleDigest);
  }
  for (const part of parts) {
    form.append(part.field, part.blob, part.filename);
    framing.append(part.field, new Blob([], { type: part.type }), part.filename);
  }
  const framingBytes = (await new Response(framing).arrayBuffer()).byteLength;
  return { form, contentLength: framingBytes + parts.reduce((sum, p) => sum + p.blob.size, 0) };
}

function parseManifest(text: string, path: string): { fields: ManifestFields; rewrite: (name: string, version: string) => string } {
  if (path.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw usageError(`${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${path} must hold a JSON object`);
    const object = value as Record<string, unknown>;
    return { fields: object, rewrite: (name, version) => `${JSON.stringify({ ...object, name, version }, null, 2)}\n` };
  }
  // Same alias bound as the registry's reader: a manifest is read before anything else is checked.
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw usageError(`${path} is not valid YAML: ${document.errors[0]!.message}`);
  const value = document.toJS({ maxAliasCount: 64 }) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${path} must hold a mapping (manifest: 1, name: …)`);
  return {
    fields: value as ManifestFields,
    // The Document API keeps the author's comments and order when name and version are replaced.
    rewrite: (name, version) => {
      document.set('name', name);
      document.set('version', version);
      return document.toString();
    },
  };
}

function stringField(value: unknown, field: string, manifestPath: string | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw usageError(`${manifestPath ?? 'the manifest'}: ${field} must be a non-empty string`);
  return value;
}

async function onlyWasmIn(directory: string): Promise<string> {
  const wasm = (await readdir(directory)).filter((f) => f.endsWith('.wasm')).sort();
  if (wasm.length === 1) return join(directory, wasm[0]!);
  if (wasm.length === 0) throw usageError(`no .wasm module in ${directory}`, 'build the plugin first, or name it in wasm-plugin.yaml (module: path/to/plugin.wasm)');
  throw usageError(`${wasm.length} .wasm files in ${directory} (${wasm.join(', ')})`, 'name the one to publish in wasm-plugin.yaml (module: …)');
}

async function firstExisting(directory: string, names: string[]): Promise<string | null> {
  for (const name of names) if (await isFile(join(directory, name))) return join(directory, name);
  return null;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

async function localFile(path: string, what: string): Promise<LocalFile> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) throw usageError(`${what} ${path} does not exist`, 'check the paths in wasm-plugin.yaml');
  return { path, filename: basename(path), size: info.size };
}

async function readBounded(path: string, limit: number, what: string): Promise<string> {
  const info = await stat(path);
  if (info.size > Math.min(limit, MAX_LOCAL_FILE)) throw usageError(`${what} ${path} is ${info.size} bytes; the registry takes at most ${limit}`);
  return readFile(path, 'utf8');
}
