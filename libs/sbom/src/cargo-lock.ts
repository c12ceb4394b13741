import { compare, ParseFailure, type DeclaredComponent, type DeclaredDependencies } from './model.js';
import { makePurl, purlErrorMessage } from './purl.js';
import { parseTomlSubset, type TomlTable, type TomlValue } from './toml-subset.js';

/** Both spellings Cargo uses for crates.io, the purl type's default repository. */
const CRATES_IO = new Set(['https://github.com/rust-lang/crates.io-index', 'https://index.crates.io/', 'https://index.crates.io']);

interface CargoPackage {
  name: string;
  version: string;
  source: string | null;
  line: number;
  dependencies: { spec: string; line: number }[];
  /** Null for the project's own crates (no source). */
  component: DeclaredComponent | null;
}

/**
 * Cargo.lock (v1 to v4). Crates from a registry become pkg:cargo purls (with
 * repository_url when not crates.io); git crates keep their pinned commit in a
 * vcs_url qualifier, so they never pass for the crates.io release of the same
 * version. Crates without a source are the project's own (workspace members,
 * path dependencies): they are the plugin, so they are listed in `local`, and
 * what they depend on are the plugin's direct dependencies.
 */
export function parseCargoLock(text: string): Omit<DeclaredDependencies, 'files'> {
  const doc = parseTomlSubset(text);
  const version = doc.root.values.get('version');
  if (version !== undefined && (typeof version.value !== 'number' || version.value < 1 || version.value > 4)) {
    throw new ParseFailure(`Cargo.lock version ${JSON.stringify(version.value)} is not supported (1 to 4 are)`, version.line);
  }

  const packages = (doc.arrays.get('package') ?? []).map(readPackage);
  const byName = new Map<string, CargoPackage[]>();
  const seen = new Set<string>();
  for (const pkg of packages) {
    const id = `${pkg.name} ${pkg.version} ${pkg.source ?? ''}`;
    if (seen.has(id)) throw new ParseFailure(`package ${pkg.name} ${pkg.version} is listed twice`, pkg.line);
    seen.add(id);
    byName.set(pkg.name, [...(byName.get(pkg.name) ?? []), pkg]);
  }

  const resolve = (from: CargoPackage, spec: string, line: number): CargoPackage => {
    // "name", "name version" or "name version (source)": as much as makes it unambiguous.
    const match = /^(\S+)(?: (\S+))?(?: \((.+)\))?$/.exec(spec);
    const candidates = (match ? byName.get(match[1]!) ?? [] : []).filter(
      (p) => (match![2] === undefined || p.version === match![2]) && (match![3] === undefined || p.source === match![3]),
    );
    if (candidates.length !== 1) {
      throw new ParseFailure(
        `package ${from.name} ${from.version} depends on ${JSON.stringify(spec)}, which ${candidates.length === 0 ? 'is not in the file' : 'matches several packages'}`,
        line,
      );
    }
    return candidates[0]!;
  };

  const roots = new Set<string>();
  const dependedOn = new Set<string>();
  for (const pkg of packages) {
    const targets = new Set<string>();
    for (const dep of pkg.dependencies) {
      const target = resolve(pkg, dep.spec, dep.line).component;
      if (target) targets.add(target.purl); // an edge to the project's own crate is an edge inside the plugin
    }
    if (pkg.component) {
      pkg.component.dependsOn = [...targets].sort();
      for (const t of targets) dependedOn.add(t);
    } else {
      for (const t of targets) roots.add(t);
    }
  }

  const components = packages.flatMap((p) => (p.component ? [p.component] : []));
  const local = [...new Set(packages.filter((p) => !p.component).map((p) => p.name))].sort();
  // Without any crate of its own the file cannot say what the plugin uses directly: take the top of the graph.
  if (local.length === 0) for (const c of components) if (!dependedOn.has(c.purl)) roots.add(c.purl);
  return { components: components.sort((a, b) => compare(a.purl, b.purl)), roots: [...roots].sort(), local };
}

function readPackage(table: TomlTable): CargoPackage {
  const str = (key: string, required: boolean): { value: string; line: number } | null => {
    const entry = table.values.get(key);
    if (entry === undefined) {
      if (required) throw new ParseFailure(`[[package]] has no ${key}`, table.line);
      return null;
    }
    if (typeof entry.value !== 'string' || entry.value === '') throw new ParseFailure(`${key} must be a non-empty string`, entry.line);
    return { value: entry.value, line: entry.line };
  };
  const name = str('name', true)!;
  const version = str('version', true)!;
  const source = str('source', false);
  const checksum = str('checksum', false);
  const deps = table.values.get('dependencies');
  const dependencies: { spec: string; line: number }[] = [];
  if (deps !== undefined) {
    if (!Array.isArray(deps.value) || deps.value.some((d: TomlValue) => typeof d !== 'string')) {
      throw new ParseFailure('dependencies must be an array of strings', deps.line);
    }
    for (const spec of deps.value as string[]) dependencies.push({ spec, line: deps.line });
  }
  if (checksum && !/^[0-9a-f]{64}$/.test(checksum.value)) {
    throw new ParseFailure(`checksum of ${name.value} must be 64 lowercase hexadecimal digits (SHA-256)`, checksum.line);
  }

  const pkg: CargoPackage = { name: name.value, version: version.value, source: source?.value ?? null, line: table.line, dependencies, component: null };
  if (source === null || source.value.startsWith('path+')) return pkg;

  const qualifiers: Record<string, string> = {};
  let vcs: string | null = null;
  const plus = source.value.indexOf('+');
  const kind = source.value.slice(0, plus);
  const url = source.value.slice(plus + 1);
  if (kind === 'registry' || kind === 'sparse') {
    if (!CRATES_IO.has(url)) qualifiers.repository_url = url;
  } else if (kind === 'git') {
    // git+https://host/repo?branch=main#<commit>: the commit is what was built; the branch is not.
    const hash = url.indexOf('#');
    const repo = (hash < 0 ? url : url.slice(0, hash)).replace(/\?.*$/, '');
    const commit = hash < 0 ? '' : url.slice(hash + 1);
    qualifiers.vcs_url = `git+${repo}${commit ? `@${commit}` : ''}`;
    vcs = `git+${repo}${commit ? `#${commit}` : ''}`;
  } else {
    throw new ParseFailure(`source ${JSON.stringify(source.value)} of ${name.value} is not a registry, sparse, git or path source`, source.line);
  }
  let purl: string;
  try {
    purl = makePurl('cargo', undefined, name.value, version.value, qualifiers);
  } catch (error) {
    throw new ParseFailure(`package ${name.value} ${version.value} has no valid purl: ${purlErrorMessage(error)}`, table.line);
  }
  pkg.component = {
    purl,
    group: null,
    name: name.value,
    version: version.value,
    dependsOn: [],
    development: false,
    optional: false,
    indirect: false,
    hashes: checksum ? [{ alg: 'SHA-256', content: checksum.value }] : [],
    vcs,
  };
  return pkg;
}
