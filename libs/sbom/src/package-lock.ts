import { compare, ParseFailure, type DeclaredComponent, type DeclaredDependencies, type DeclaredHashAlgorithm } from './model.js';
import { makePurl, purlErrorMessage } from './purl.js';

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies'] as const;
const PACKAGE_PATH = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)$/;
const HASH_SIZES: Record<string, { alg: DeclaredHashAlgorithm; bytes: number }> = {
  sha1: { alg: 'SHA-1', bytes: 20 },
  sha256: { alg: 'SHA-256', bytes: 32 },
  sha512: { alg: 'SHA-512', bytes: 64 },
};

type Entry = Record<string, unknown>;
type Node = { kind: 'package'; component: DeclaredComponent } | { kind: 'local' } | { kind: 'link'; target: string };

/**
 * package-lock.json (lockfileVersion 2 and 3, whose `packages` map is keyed by
 * install path). The root entry and workspace folders are the project's own;
 * the same name@version installed at several paths is one component. Keys are
 * read with Map and Object.hasOwn only, so "__proto__" is just a strange path.
 */
export function parsePackageLock(text: string): Omit<DeclaredDependencies, 'files'> {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    throw new ParseFailure(`not valid JSON: ${message}`, position ? lineAt(text, Number(position[1])) : null);
  }
  if (!isObject(doc)) throw new ParseFailure('must be a JSON object', 1);
  const version = doc.lockfileVersion;
  if (version === 1) throw new ParseFailure('lockfileVersion 1 is not supported: run `npm install` with npm 7 or later to upgrade it to version 3', lineOfKey(text, 'lockfileVersion'));
  if (version !== 2 && version !== 3) throw new ParseFailure(`lockfileVersion ${JSON.stringify(version)} is not supported (2 and 3 are)`, lineOfKey(text, 'lockfileVersion'));
  if (!isObject(doc.packages)) throw new ParseFailure('has no "packages" object', lineOfKey(text, 'packages'));

  const entries = new Map<string, Entry>();
  for (const [path, entry] of Object.entries(doc.packages)) {
    if (!isObject(entry)) throw new ParseFailure(`packages[${JSON.stringify(path)}] must be an object`, lineOfKey(text, path));
    entries.set(path, entry);
  }

  const nodes = new Map<string, Node>();
  const byPurl = new Map<string, DeclaredComponent>();
  const local = new Set<string>();
  for (const [path, entry] of entries) {
    if (path === '' || !path.includes('node_modules/')) {
      // The root and workspace folders: the project itself.
      local.add(typeof entry.name === 'string' && entry.name !== '' ? entry.name : path === '' ? '(root)' : path);
      nodes.set(path, { kind: 'local' });
      continue;
    }
    const pathName = PACKAGE_PATH.exec(path)?.[1];
    if (pathName === undefined) throw new ParseFailure(`${JSON.stringify(path)} is not an install path (…node_modules/<name>)`, lineOfKey(text, path));
    if (entry.link === true) {
      if (typeof entry.resolved !== 'string') throw new ParseFailure(`link ${JSON.stringify(path)} has no resolved target`, lineOfKey(text, path));
      nodes.set(path, { kind: 'link', target: entry.resolved });
      continue;
    }
    const component = readPackage(text, path, pathName, entry);
    const previous = byPurl.get(component.purl);
    if (previous) {
      // Installed at several paths: dev or optional only if it is at every one.
      previous.development &&= component.development;
      previous.optional &&= component.optional;
      nodes.set(path, { kind: 'package', component: previous });
    } else {
      byPurl.set(component.purl, component);
      nodes.set(path, { kind: 'package', component });
    }
  }

  /** Node's lookup: the nearest node_modules/<name> from `from` up to the root. */
  const resolve = (from: string, name: string): DeclaredComponent | null => {
    let dir = from;
    for (let hops = 0; hops < 10_000; hops++) {
      let node = nodes.get(dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`);
      if (node?.kind === 'link') node = nodes.get(node.target) ?? { kind: 'local' };
      if (node) return node.kind === 'package' ? node.component : null;
      if (dir === '') return null;
      const up = /^(.*)\/node_modules\/(?:@[^/]+\/)?[^/]+$/.exec(dir);
      dir = up ? up[1]! : dir.startsWith('node_modules/') || !dir.includes('node_modules/') ? '' : dir;
    }
    return null;
  };

  const roots = new Set<string>();
  const edges = new Map<DeclaredComponent, Set<string>>();
  for (const [path, entry] of entries) {
    const node = nodes.get(path)!;
    if (node.kind === 'link') continue;
    for (const field of DEPENDENCY_FIELDS) {
      const deps = entry[field];
      if (deps === undefined) continue;
      if (!isObject(deps)) throw new ParseFailure(`${field} of ${JSON.stringify(path || '(root)')} must be an object`, lineOfKey(text, path));
      for (const name of Object.keys(deps)) {
        // Missing optional or peer dependencies are normal: they just have no edge.
        const target = resolve(path, name);
        if (!target) continue;
        if (node.kind === 'local') roots.add(target.purl);
        else if (target !== node.component) {
          const set = edges.get(node.component) ?? new Set<string>();
          set.add(target.purl);
          edges.set(node.component, set);
        }
      }
    }
  }
  const components = [...byPurl.values()].sort((a, b) => compare(a.purl, b.purl));
  for (const c of components) c.dependsOn = [...(edges.get(c) ?? [])].sort();
  return { components, roots: [...roots].sort(), local: [...local].sort() };
}

function readPackage(text: string, path: string, pathName: string, entry: Entry): DeclaredComponent {
  // Searched for only on failure: lockfiles have thousands of entries.
  const line = (): number | null => lineOfKey(text, path);
  // An alias ("node_modules/x": {"name": "real-name"}) is installed under x but is real-name.
  const fullName = typeof entry.name === 'string' && entry.name !== '' ? entry.name : pathName;
  if (typeof entry.version !== 'string' || entry.version === '') throw new ParseFailure(`${JSON.stringify(path)} has no version`, line());
  const version = entry.version;
  const scoped = /^(@[^/]+)\/([^/]+)$/.exec(fullName);
  const group = scoped ? scoped[1]! : null;
  const name = scoped ? scoped[2]! : fullName;
  if (name.includes('/')) throw new ParseFailure(`${JSON.stringify(fullName)} is not an npm package name`, line());

  const qualifiers: Record<string, string> = {};
  let vcs: string | null = null;
  const resolved = typeof entry.resolved === 'string' ? entry.resolved : null;
  if (resolved && /^git(\+[a-z]+)?:/.test(resolved)) {
    // git+ssh://git@github.com/org/repo.git#<commit>: the purl vcs_url form puts the commit after "@".
    const hash = resolved.indexOf('#');
    qualifiers.vcs_url = hash < 0 ? resolved : `${resolved.slice(0, hash)}@${resolved.slice(hash + 1)}`;
    vcs = resolved;
  } else if (resolved && /^https?:/.test(resolved) && !resolved.startsWith('https://registry.npmjs.org/')) {
    qualifiers.download_url = resolved;
  }

  let purl: string;
  try {
    purl = makePurl('npm', group ?? undefined, name, version, qualifiers);
  } catch (error) {
    throw new ParseFailure(`${fullName}@${version} has no valid purl: ${purlErrorMessage(error)}`, line());
  }
  return {
    purl,
    group,
    name,
    version,
    dependsOn: [],
    development: entry.dev === true,
    optional: entry.optional === true || entry.devOptional === true,
    indirect: false,
    hashes: typeof entry.integrity === 'string' ? integrityHashes(entry.integrity, fullName, line) : [],
    vcs,
  };
}

/** Subresource Integrity ("sha512-<base64> sha1-<base64>") as CycloneDX hex hashes; unknown algorithms are skipped. */
function integrityHashes(integrity: string, name: string, line: () => number | null): DeclaredComponent['hashes'] {
  const out: DeclaredComponent['hashes'] = [];
  for (const item of integrity.trim().split(/\s+/)) {
    const match = /^([a-z0-9]+)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(item);
    if (!match) throw new ParseFailure(`integrity of ${name} is not "<algorithm>-<base64>"`, line());
    const known = Object.hasOwn(HASH_SIZES, match[1]!) ? HASH_SIZES[match[1]!]! : null;
    if (!known) continue;
    const bytes = Buffer.from(match[2]!, 'base64');
    if (bytes.length !== known.bytes) throw new ParseFailure(`integrity of ${name}: a ${match[1]} digest has ${known.bytes} bytes, not ${bytes.length}`, line());
    if (!out.some((h) => h.alg === known.alg)) out.push({ alg: known.alg, content: bytes.toString('hex') });
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The line of the first `"key":` in the text: where an editor would find the entry. */
function lineOfKey(text: string, key: string): number | null {
  const index = text.indexOf(`${JSON.stringify(key)}:`);
  const spaced = index >= 0 ? index : text.indexOf(`${JSON.stringify(key)} :`);
  return spaced >= 0 ? lineAt(text, spaced) : null;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
