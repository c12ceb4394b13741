import { compare, ParseFailure, type DeclaredComponent, type DeclaredDependencies } from './model.js';
import { makePurl, purlErrorMessage } from './purl.js';

export type ParsedGoMod = Omit<DeclaredDependencies, 'files'> & {
  /** Every module path go.mod decides the version of (required paths and replacement targets). */
  modulePaths: ReadonlySet<string>;
  /** `go 1.17` or later: go.mod lists every module the build uses, indirect ones included. */
  complete: boolean;
};

interface Statement {
  verb: string;
  args: string[];
  comment: string;
  line: number;
}

interface Replacement {
  version: string | null;
  /** A module path, or a directory when `newVersion` is null. */
  newPath: string;
  newVersion: string | null;
  line: number;
}

/**
 * go.mod: each `require` is a requirement of the main module (go mod graph
 * draws an edge from it to every one, `// indirect` or not), so all are roots;
 * `replace` is applied, and a module replaced by a directory is the project's
 * own code.
 */
export function parseGoMod(text: string): ParsedGoMod {
  const requires: Statement[] = [];
  const replaces = new Map<string, Replacement[]>();
  let complete = false;
  for (const st of statements(text)) {
    if (st.verb === 'go') {
      const v = /^(\d+)\.(\d+)/.exec(st.args[0] ?? '');
      if (!v) throw new ParseFailure(`go directive ${JSON.stringify(st.args.join(' '))} is not a Go version`, st.line);
      complete = Number(v[1]) > 1 || Number(v[2]) >= 17;
    } else if (st.verb === 'require') {
      if (st.args.length !== 2) throw new ParseFailure('require takes a module path and a version', st.line);
      requires.push(st);
    } else if (st.verb === 'replace') {
      const arrow = st.args.indexOf('=>');
      const left = st.args.slice(0, arrow);
      const right = st.args.slice(arrow + 1);
      if (arrow < 0 || left.length < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
        throw new ParseFailure('replace takes "module [version] => module version" or "module [version] => ./directory"', st.line);
      }
      if (right.length === 1 && !isLocalPath(right[0]!)) {
        throw new ParseFailure(`replacement ${JSON.stringify(right[0])} needs a version, or must be a directory starting with ./ or ../`, st.line);
      }
      const list = replaces.get(left[0]!) ?? [];
      list.push({ version: left[1] ?? null, newPath: right[0]!, newVersion: right[1] ?? null, line: st.line });
      replaces.set(left[0]!, list);
    }
    // module, toolchain, exclude, retract, godebug, tool, ignore and future directives say nothing about what is built.
  }

  const components = new Map<string, DeclaredComponent>();
  const local = new Set<string>();
  const modulePaths = new Set<string>();
  for (const req of requires) {
    const [path, version] = req.args as [string, string];
    modulePaths.add(path);
    const candidates = replaces.get(path) ?? [];
    // A replacement of this exact version wins over one of every version, as in the go command.
    const replacement = candidates.find((r) => r.version === version) ?? candidates.find((r) => r.version === null);
    if (replacement && replacement.newVersion === null) {
      local.add(path);
      continue;
    }
    const modPath = replacement ? replacement.newPath : path;
    const modVersion = replacement ? replacement.newVersion! : version;
    modulePaths.add(modPath);
    const component = goComponent(modPath, modVersion, replacement ? replacement.line : req.line);
    component.indirect = /^indirect(;|$)/.test(req.comment);
    const previous = components.get(component.purl);
    // The same module required twice (or two paths differing only in case) is one package; direct wins.
    if (previous) previous.indirect &&= component.indirect;
    else components.set(component.purl, component);
  }
  const sorted = [...components.values()].sort((a, b) => compare(a.purl, b.purl));
  return { components: sorted, roots: sorted.map((c) => c.purl), local: [...local].sort(), modulePaths, complete };
}

/**
 * go.sum: a `<module> <version> h1:…` line means the module's code was
 * downloaded for the build; `<version>/go.mod` lines only fed version
 * selection, so they are skipped. Which ones the plugin uses directly is not
 * recorded, so every module is a root.
 */
export function parseGoSum(text: string): Omit<DeclaredDependencies, 'files'> {
  const components = new Map<string, DeclaredComponent>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '') continue;
    const fields = raw.split(/\s+/);
    if (fields.length !== 3) throw new ParseFailure('expected "<module> <version> <hash>"', n + 1);
    const [path, version, hash] = fields as [string, string, string];
    if (!/^h[0-9]+:[A-Za-z0-9+/]+=*$/.test(hash)) throw new ParseFailure(`${JSON.stringify(hash)} is not a go.sum hash (h1:<base64>)`, n + 1);
    if (version.endsWith('/go.mod')) continue;
    const component = goComponent(path, version, n + 1);
    if (!components.has(component.purl)) components.set(component.purl, component);
  }
  const sorted = [...components.values()].sort((a, b) => compare(a.purl, b.purl));
  return { components: sorted, roots: sorted.map((c) => c.purl), local: [] };
}

function goComponent(path: string, version: string, line: number): DeclaredComponent {
  if (!/^v[0-9]/.test(version)) throw new ParseFailure(`version ${JSON.stringify(version)} of ${path} must start with "v" and a digit`, line);
  // The purl spec lowercases golang namespaces and names; `name` keeps the path as Go spells it.
  const lower = path.toLowerCase();
  const slash = lower.lastIndexOf('/');
  let purl: string;
  try {
    purl = makePurl('golang', slash < 0 ? undefined : lower.slice(0, slash), lower.slice(slash + 1), version);
  } catch (error) {
    throw new ParseFailure(`module ${path} ${version} has no valid purl: ${purlErrorMessage(error)}`, line);
  }
  return { purl, group: null, name: path, version, dependsOn: null, development: false, optional: false, indirect: false, hashes: [], vcs: null };
}

function isLocalPath(path: string): boolean {
  return /^(\.\.?|\.\.?[/\\].*|\/.*|[A-Za-z]:[/\\].*)$/.test(path);
}

/** go.mod lines as statements, with `verb ( … )` blocks expanded and the trailing // comment kept. */
function statements(text: string): Statement[] {
  const out: Statement[] = [];
  let block: string | null = null;
  let blockLine = 0;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const { tokens, comment } = tokenize(lines[n]!, n + 1);
    if (tokens.length === 0) continue;
    if (block !== null) {
      if (tokens.length === 1 && tokens[0] === ')') block = null;
      else out.push({ verb: block, args: tokens, comment, line: n + 1 });
      continue;
    }
    if (tokens.length === 2 && tokens[1] === '(') {
      block = tokens[0]!;
      blockLine = n + 1;
      continue;
    }
    if (tokens.length === 3 && tokens[1] === '(' && tokens[2] === ')') continue;
    out.push({ verb: tokens[0]!, args: tokens.slice(1), comment, line: n + 1 });
  }
  if (block !== null) throw new ParseFailure(`the ${block} block opened here is never closed`, blockLine);
  return out;
}

function tokenize(line: string, lineNo: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (line.startsWith('//', i)) {
      return { tokens, comment: line.slice(i + 2).trim() };
    } else if (c === '"') {
      const end = /^"(?:[^"\\]|\\.)*"/.exec(line.slice(i));
      if (!end) throw new ParseFailure('unterminated quoted string', lineNo);
      try {
        tokens.push(JSON.parse(end[0]) as string);
      } catch {
        throw new ParseFailure(`cannot read the quoted string ${end[0]}`, lineNo);
      }
      i += end[0].length;
    } else if (c === '`') {
      const end = line.indexOf('`', i + 1);
      if (end < 0) throw new ParseFailure('unterminated raw string', lineNo);
      tokens.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      const start = i;
      while (i < line.length && !/\s/.test(line[i]!) && !line.startsWith('//', i)) i++;
      tokens.push(line.slice(start, i));
    }
  }
  return { tokens, comment: '' };
}
