import { type FieldProblem, describeForbiddenCharacter, forbiddenCharacter } from '../../domain/index.js';
import { parseCargoLock } from './cargo-lock.js';
import { parseGoMod, parseGoSum } from './go-modules.js';
import {
  compare,
  DEFAULT_DEPENDENCY_LIMITS,
  ParseFailure,
  type DeclaredComponent,
  type DeclaredDependencies,
  type DependencyFileError,
  type DependencyLimits,
  type DependencyParseResult,
} from './model.js';
import { parsePackageLock } from './package-lock.js';
import { parsePurlLines } from './purl-list.js';

export interface DependencyFile {
  /** Chooses the parser: Cargo.lock, go.mod, go.sum, package-lock.json (or npm-shrinkwrap.json), purls.txt or *.purls. A directory part is ignored. */
  filename: string;
  /** UTF-8 text; bytes are decoded strictly. */
  content: string | Uint8Array;
}

export const SUPPORTED_DEPENDENCY_FILES = 'Cargo.lock, go.mod, go.sum, package-lock.json, purls.txt or *.purls';

type Parsed = Omit<DeclaredDependencies, 'files'> & { modulePaths?: ReadonlySet<string>; complete?: boolean };
type Parser = (text: string) => Parsed;

function parserFor(filename: string): Parser | null {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  if (base === 'Cargo.lock') return parseCargoLock;
  if (base === 'go.mod') return parseGoMod;
  if (base === 'go.sum') return parseGoSum;
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') return parsePackageLock;
  if (base === 'purls.txt' || (base.endsWith('.purls') && base.length > '.purls'.length)) return parsePurlLines;
  return null;
}

/** Parses one declared file. Never throws on bad input: the error names the file, the line when known, and what is wrong. */
export function parseDeclaredDependencies(file: DependencyFile, limits: DependencyLimits = DEFAULT_DEPENDENCY_LIMITS): DependencyParseResult {
  const parsed = parseOne(file, limits);
  if (!parsed.ok) return parsed;
  return { ok: true, value: publicShape([file.filename], parsed.value) };
}

/** A plain list of purls, one a line (see parsePurlLines). */
export function parsePurlList(text: string, limits: DependencyLimits = DEFAULT_DEPENDENCY_LIMITS, filename = 'purls.txt'): DependencyParseResult {
  const parsed = run(filename, text, parsePurlLines, limits);
  if (!parsed.ok) return parsed;
  return { ok: true, value: publicShape([filename], parsed.value) };
}

/**
 * Parses several files (go.mod with go.sum, or one lockfile per language) into
 * one declaration. go.mod decides the version of every module it names. From
 * `go 1.17` on it names every module the build uses, so go.sum (which also
 * holds modules only other modules' tests need) adds nothing; before that it
 * adds the modules go.mod does not name.
 */
export function parseDeclaredDependencyFiles(
  files: readonly DependencyFile[],
  limits: DependencyLimits = DEFAULT_DEPENDENCY_LIMITS,
): DependencyParseResult {
  const results: { file: DependencyFile; parsed: Parsed }[] = [];
  for (const file of files) {
    const parsed = parseOne(file, limits);
    if (!parsed.ok) return parsed;
    results.push({ file, parsed: parsed.value });
  }
  const goNamed = new Set<string>();
  let goModComplete = false;
  for (const { parsed } of results) {
    for (const p of parsed.modulePaths ?? []) goNamed.add(p);
    goModComplete ||= parsed.complete === true;
  }

  const components = new Map<string, DeclaredComponent>();
  const roots = new Set<string>();
  const local = new Set<string>();
  for (const { file, parsed } of results) {
    const isGoSum = parserFor(file.filename) === parseGoSum;
    const dropped = new Set<string>();
    for (const c of parsed.components) {
      if (isGoSum && (goModComplete || goNamed.has(c.name))) {
        dropped.add(c.purl);
        continue;
      }
      const previous = components.get(c.purl);
      components.set(c.purl, previous ? mergeComponent(previous, c) : c);
    }
    for (const r of parsed.roots) if (!dropped.has(r)) roots.add(r);
    for (const l of parsed.local) local.add(l);
  }
  if (components.size > limits.maxComponents) {
    return failure(files.map((f) => f.filename).join(' + '), new ParseFailure(`together declare ${components.size} packages; at most ${limits.maxComponents} are accepted`));
  }
  return {
    ok: true,
    value: {
      files: files.map((f) => f.filename),
      components: [...components.values()].sort((a, b) => compare(a.purl, b.purl)),
      roots: [...roots].sort(),
      local: [...local].sort(),
    },
  };
}

/** The error as one field problem, for invalidInput(): "<field>: Cargo.lock line 12: …". */
export function dependencyFileProblem(error: DependencyFileError, field = 'dependencies'): FieldProblem {
  return { field, message: describeDependencyFileError(error) };
}

export function describeDependencyFileError(error: DependencyFileError): string {
  return `${error.file}${error.line === null ? '' : ` line ${error.line}`}: ${error.message}`;
}

/** File names are the publisher's (multipart filenames) and are stored with the declaration. */
const MAX_FILENAME_LENGTH = 255;

function parseOne(file: DependencyFile, limits: DependencyLimits): { ok: true; value: Parsed } | { ok: false; error: DependencyFileError } {
  const badName = forbiddenCharacter(file.filename);
  if (badName !== null || file.filename.length > MAX_FILENAME_LENGTH) {
    const why = badName !== null ? describeForbiddenCharacter(badName) : `is ${file.filename.length} characters long; at most ${MAX_FILENAME_LENGTH} are accepted`;
    return failure('a dependency file name', new ParseFailure(why));
  }
  const parser = parserFor(file.filename);
  if (!parser) return failure(file.filename, new ParseFailure(`is not a dependency file the registry reads; send ${SUPPORTED_DEPENDENCY_FILES}`));
  return run(file.filename, file.content, parser, limits);
}

function run(
  filename: string,
  content: string | Uint8Array,
  parser: Parser,
  limits: DependencyLimits,
): { ok: true; value: Parsed } | { ok: false; error: DependencyFileError } {
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (size > limits.maxBytes) return failure(filename, new ParseFailure(`is ${size} bytes; at most ${limits.maxBytes} are accepted`));
  let text: string;
  if (typeof content === 'string') text = content;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      return failure(filename, new ParseFailure('is not UTF-8 text'));
    }
  }
  text = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  // What the file names is stored (jsonb) and shown: the same text rule as every other field.
  const bad = forbiddenCharacter(text, 'lines');
  if (bad !== null) {
    const lineStart = text.lastIndexOf('\n', bad.index - 1) + 1;
    return failure(filename, new ParseFailure(describeForbiddenCharacter({ ...bad, index: bad.index - lineStart }), lineOf(text, bad.index)));
  }
  try {
    const parsed = parser(text);
    if (parsed.components.length > limits.maxComponents) {
      throw new ParseFailure(`declares ${parsed.components.length} packages; at most ${limits.maxComponents} are accepted`);
    }
    // Escapes (JSON "\u0000", TOML "\u0000", %00 in a purl) decode to characters the raw text did not show.
    const unescaped = forbiddenInComponents(parsed.components);
    if (unescaped !== null) throw new ParseFailure(`declares ${unescaped}`);
    return { ok: true, value: parsed };
  } catch (error) {
    if (error instanceof ParseFailure) return failure(filename, error);
    // An engine limit hit by hostile input is still the publisher's file: a 400, never a 500.
    if (error instanceof RangeError) return failure(filename, new ParseFailure(`could not be read: ${error.message}`));
    throw error;
  }
}

/** The first string of the declared packages that breaks the text rule, described; null when all are fine. */
function forbiddenInComponents(components: readonly DeclaredComponent[]): string | null {
  for (const [i, component] of components.entries()) {
    const stack: unknown[] = [component];
    while (stack.length > 0) {
      const value = stack.pop();
      if (typeof value === 'string') {
        const bad = forbiddenCharacter(value);
        // Not echoed: the text is the problem.
        if (bad !== null) return `package ${i + 1} of ${components.length} with text that ${describeForbiddenCharacter(bad)}`;
      } else if (typeof value === 'object' && value !== null) {
        stack.push(...Object.values(value));
      }
    }
  }
  return null;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function failure(file: string, error: ParseFailure): { ok: false; error: DependencyFileError } {
  return { ok: false, error: { code: 'invalid_dependency_file', file, line: error.line, message: error.message } };
}

function publicShape(files: string[], parsed: Parsed): DeclaredDependencies {
  return { files, components: parsed.components, roots: parsed.roots, local: parsed.local };
}

function mergeComponent(a: DeclaredComponent, b: DeclaredComponent): DeclaredComponent {
  const dependsOn = a.dependsOn === null ? b.dependsOn : b.dependsOn === null ? a.dependsOn : [...new Set([...a.dependsOn, ...b.dependsOn])].sort();
  return {
    ...a,
    dependsOn,
    development: a.development && b.development,
    optional: a.optional && b.optional,
    indirect: a.indirect && b.indirect,
    hashes: [...a.hashes, ...b.hashes.filter((h) => !a.hashes.some((x) => x.alg === h.alg))],
    vcs: a.vcs ?? b.vcs,
  };
}
