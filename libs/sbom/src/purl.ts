import { PackageURL } from 'packageurl-js';

/**
 * packageurl-js percent-encodes ':' in qualifier values; the purl spec says a
 * colon is never encoded, so `checksum=sha256:<hex>` reads as in the spec's
 * examples. Decoding only %3A cannot collide: a literal "%3A" is written "%253A".
 */
function canonical(purl: PackageURL): string {
  return purl.toString().replace(/%3A/gi, ':');
}

/** Builds a purl, applying the type's normalisation (npm names lowercased, …); throws Error when invalid. */
export function makePurl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers?: Record<string, string>,
): string {
  return canonical(new PackageURL(type, namespace, name, version, qualifiers, undefined));
}

/** Parses a purl and writes it back canonically; throws Error naming what is wrong. */
export function parsePurl(text: string): { purl: string; type: string; namespace: string | null; name: string; version: string | null } {
  const parsed = PackageURL.fromString(text);
  return {
    purl: canonical(parsed),
    type: parsed.type,
    namespace: parsed.namespace ?? null,
    name: parsed.name,
    version: parsed.version ?? null,
  };
}

/** Why packageurl-js refused a purl, without its "Invalid purl: " prefix. */
export function purlErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Invalid purl:\s*/i, '');
}
