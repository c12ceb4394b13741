import { compare, ParseFailure, type DeclaredComponent, type DeclaredDependencies } from './model.js';
import { parsePurl, purlErrorMessage } from './purl.js';

/**
 * One purl a line, for ecosystems the registry cannot read lockfiles of.
 * Blank lines and lines starting with "#" are skipped ("#" cannot start an
 * inline comment: it introduces a purl's subpath). Nothing says how they
 * relate, so every one is a root with unknown dependencies of its own.
 */
export function parsePurlLines(text: string): Omit<DeclaredDependencies, 'files'> {
  const components = new Map<string, DeclaredComponent>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    let parsed: ReturnType<typeof parsePurl>;
    try {
      parsed = parsePurl(raw);
    } catch (error) {
      throw new ParseFailure(`${JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw)} is not a valid purl: ${purlErrorMessage(error)}`, n + 1);
    }
    if (components.has(parsed.purl)) continue;
    components.set(parsed.purl, {
      purl: parsed.purl,
      group: parsed.namespace,
      name: parsed.name,
      version: parsed.version,
      dependsOn: null,
      development: false,
      optional: false,
      indirect: false,
      hashes: [],
      vcs: null,
    });
  }
  const sorted = [...components.values()].sort((a, b) => compare(a.purl, b.purl));
  return { components: sorted, roots: sorted.map((c) => c.purl), local: [] };
}
