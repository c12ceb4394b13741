import type { AdvisoryRecord } from './advisories.repository.js';

/** The OSV schema version the records follow. */
export const OSV_SCHEMA_VERSION = '1.6.0';

/**
 * The OSV ecosystem of this registry's plugins. No listed OSV ecosystem fits,
 * so the registry names its own, suffixed with its public URL as Maven's is
 * with a repository's: two registries' "acme/auth" are different packages.
 */
export const ecosystemOf = (publicUrl: string): string => `Wasm Plugin Registry:${publicUrl}`;

export interface OsvRecord {
  schema_version: string;
  id: string;
  modified: string;
  published: string;
  withdrawn?: string;
  aliases: string[];
  summary: string;
  details: string;
  severity: { type: 'CVSS_V3' | 'CVSS_V4'; score: string }[];
  affected: {
    package: { ecosystem: string; name: string };
    ranges: { type: 'SEMVER'; events: ({ introduced: string } | { fixed: string } | { last_affected: string })[] }[];
    versions: string[];
    database_specific: { url: string };
  }[];
  references: { type: string; url: string }[];
  credits: { name: string; contact?: string[]; type?: string }[];
  database_specific: { severity: string; score: number; url: string; withdrawn_reason?: string };
}

/**
 * An advisory as an OSV record. `versions` lists the plugin's published
 * versions the ranges cover, as the spec asks of databases that can enumerate
 * them; scanners that only read ranges get the same answer.
 */
export function toOsv(advisory: AdvisoryRecord, publicUrl: string): OsvRecord {
  const pluginUrl = `${publicUrl}/plugins/${advisory.namespace}/${advisory.plugin}`;
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id: advisory.id,
    modified: advisory.modifiedAt.toISOString(),
    published: advisory.publishedAt.toISOString(),
    ...(advisory.withdrawnAt !== null ? { withdrawn: advisory.withdrawnAt.toISOString() } : {}),
    aliases: advisory.aliases,
    summary: advisory.summary,
    details: advisory.details,
    severity: [{ type: advisory.severity.type, score: advisory.severity.vector }],
    affected: [
      {
        package: { ecosystem: ecosystemOf(publicUrl), name: `${advisory.namespace}/${advisory.plugin}` },
        ranges: advisory.affected.map((range) => ({
          type: 'SEMVER' as const,
          events: [
            { introduced: range.introduced },
            ...(range.fixed !== null ? [{ fixed: range.fixed }] : range.lastAffected !== null ? [{ last_affected: range.lastAffected }] : []),
          ],
        })),
        versions: advisory.affectedVersions,
        database_specific: { url: pluginUrl },
      },
    ],
    references: advisory.references,
    credits: advisory.credits.map((c) => ({ name: c.name, ...(c.contact.length > 0 ? { contact: c.contact } : {}), ...(c.type !== null ? { type: c.type } : {}) })),
    database_specific: {
      severity: advisory.severity.rating,
      score: advisory.severity.score,
      url: `${publicUrl}/advisories/${advisory.id}`,
      ...(advisory.withdrawnReason !== null ? { withdrawn_reason: advisory.withdrawnReason } : {}),
    },
  };
}
