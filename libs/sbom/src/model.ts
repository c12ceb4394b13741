/**
 * What a publisher declared about a version's dependencies, parsed. Plain JSON
 * so that it can be stored with the version (versions.declared_dependencies)
 * and turned into an SBOM later, by another process.
 */
export interface DeclaredDependencies {
  /** The files it was parsed from, in the order given, e.g. ["go.mod", "go.sum"]. */
  files: string[];
  /** Third-party packages, one per purl, sorted by purl. */
  components: DeclaredComponent[];
  /** Purls the plugin's own code depends on directly, sorted. */
  roots: string[];
  /**
   * The project's own packages, left out of `components` because they are the
   * plugin itself: Cargo path crates and workspace members, npm workspace
   * folders, Go modules replaced by a local directory. Sorted names.
   */
  local: string[];
}

export type DeclaredHashAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-512';

export interface DeclaredComponent {
  /** Canonical purl; also the component's bom-ref. */
  purl: string;
  /** CycloneDX `group`: npm scope ("@types"); null for Cargo and Go. */
  group: string | null;
  /** Crate, package or module path as written in the file (Go paths keep their case). */
  name: string;
  version: string | null;
  /** Purls it depends on; null when the file does not say (go.mod, go.sum, purl lists). */
  dependsOn: string[] | null;
  /** Only needed to develop the project (npm `dev`): not part of the module. */
  development: boolean;
  /** Optional at install time (npm `optional`). */
  optional: boolean;
  /** Go: marked `// indirect` in go.mod. */
  indirect: boolean;
  /** Hashes of the package archive, as the lockfile records them (lowercase hex). */
  hashes: { alg: DeclaredHashAlgorithm; content: string }[];
  /** Where the code was fetched from when it is not the ecosystem's registry: a VCS URL pinned to a commit. */
  vcs: string | null;
}

/** A declared file that could not be read; a 400 for the publisher. */
export interface DependencyFileError {
  code: 'invalid_dependency_file';
  /** The file name as given, e.g. "Cargo.lock". */
  file: string;
  /** 1-based line, when known. */
  line: number | null;
  /** What is wrong, in a sentence, without the file name or line. */
  message: string;
}

export type DependencyParseResult =
  | { ok: true; value: DeclaredDependencies }
  | { ok: false; error: DependencyFileError };

export interface DependencyLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Most packages accepted, per file and merged. */
  maxComponents: number;
}

/**
 * 2,000 packages: a Proxy-Wasm plugin's lockfile declares tens to a few
 * hundred. Each package is stored several times over (the SBOM as JSON and as
 * XML, inside its attestation, as OCI referrers), and in the embedded
 * configuration every stored byte passes through the API's event loop
 * (PGlite): 20,000 packages held it for seconds (bench/RESULTS.md, "Hostile
 * modules"), 2,000 for about 0.3 s.
 */
export const DEFAULT_DEPENDENCY_LIMITS: DependencyLimits = { maxBytes: 5 * 1024 * 1024, maxComponents: 2_000 };

/** Thrown inside the parsers, turned into a DependencyFileError at the boundary. */
export class ParseFailure extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
  ) {
    super(message);
    this.name = 'ParseFailure';
  }
}

/** Code-unit order, the same on every machine (localeCompare is not). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
