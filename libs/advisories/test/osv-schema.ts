/**
 * A JSON Schema (2020-12) of an OSV record, written here from the OSV
 * specification 1.6 (docs/schema.md of ossf/osv-schema), for tests that check
 * every record the registry serves. Where the spec lists closed sets (severity,
 * range, reference and credit types) the schema does too; the ecosystem list is
 * open to the registry's own (no listed ecosystem fits), so it is checked by name.
 */
const timestamp = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' };
// SemVer 2.0 (section 9-10 grammar), no "v".
const semverText = '(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-((0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)(\\.(0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*))*))?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?';
const semver = { type: 'string', pattern: `^${semverText}$` };
const oneKey = (key: string, value: object) => ({ type: 'object', required: [key], additionalProperties: false, properties: { [key]: value } });

export const OSV_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['schema_version', 'id', 'modified'],
  additionalProperties: false,
  properties: {
    schema_version: { type: 'string', pattern: '^1\\.6\\.\\d+$' },
    // A database prefix, a dash, the database's own id.
    id: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9.]*(-[A-Za-z0-9._:]+)+$' },
    modified: timestamp,
    published: timestamp,
    withdrawn: timestamp,
    aliases: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    related: { type: 'array', items: { type: 'string', minLength: 1 } },
    upstream: { type: 'array', items: { type: 'string', minLength: 1 } },
    // One line of plain text.
    summary: { type: 'string', pattern: '^[^\\n]*$' },
    details: { type: 'string' },
    severity: { $ref: '#/$defs/severities' },
    affected: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['package'],
        properties: {
          package: {
            type: 'object',
            required: ['ecosystem', 'name'],
            additionalProperties: false,
            properties: { ecosystem: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, purl: { type: 'string', pattern: '^pkg:' } },
          },
          severity: { $ref: '#/$defs/severities' },
          ranges: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['type', 'events'],
              additionalProperties: false,
              properties: {
                type: { enum: ['SEMVER', 'ECOSYSTEM', 'GIT'] },
                repo: { type: 'string' },
                events: {
                  type: 'array',
                  minItems: 1,
                  // At least one introduced; one kind of event per object; fixed and last_affected never together.
                  contains: oneKey('introduced', { type: 'string' }),
                  items: {
                    type: 'object',
                    oneOf: [
                      oneKey('introduced', { type: 'string' }),
                      oneKey('fixed', { type: 'string' }),
                      oneKey('last_affected', { type: 'string' }),
                      oneKey('limit', { type: 'string' }),
                    ],
                  },
                  not: { allOf: [{ contains: oneKey('fixed', { type: 'string' }) }, { contains: oneKey('last_affected', { type: 'string' }) }] },
                },
                database_specific: { type: 'object' },
              },
              // SEMVER events are SemVer 2.0 versions ("0" for the beginning).
              if: { properties: { type: { const: 'SEMVER' } } },
              then: {
                properties: {
                  events: {
                    type: 'array',
                    items: {
                      type: 'object',
                      oneOf: [
                        oneKey('introduced', { type: 'string', anyOf: [{ const: '0' }, semver] }),
                        oneKey('fixed', semver),
                        oneKey('last_affected', semver),
                        oneKey('limit', { type: 'string', anyOf: [{ const: '*' }, semver] }),
                      ],
                    },
                  },
                },
              },
            },
          },
          versions: { type: 'array', items: { type: 'string' } },
          ecosystem_specific: { type: 'object' },
          database_specific: { type: 'object' },
        },
      },
    },
    references: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'url'],
        additionalProperties: false,
        properties: {
          type: { enum: ['ADVISORY', 'ARTICLE', 'DETECTION', 'DISCUSSION', 'REPORT', 'FIX', 'GIT', 'INTRODUCED', 'PACKAGE', 'EVIDENCE', 'WEB'] },
          url: { type: 'string', pattern: '^https?://' },
        },
      },
    },
    credits: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          contact: { type: 'array', items: { type: 'string' } },
          type: { enum: ['FINDER', 'REPORTER', 'ANALYST', 'COORDINATOR', 'REMEDIATION_DEVELOPER', 'REMEDIATION_REVIEWER', 'REMEDIATION_VERIFIER', 'TOOL', 'SPONSOR', 'OTHER'] },
        },
      },
    },
    database_specific: { type: 'object' },
  },
  $defs: {
    severities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'score'],
        additionalProperties: false,
        properties: { type: { enum: ['CVSS_V2', 'CVSS_V3', 'CVSS_V4'] }, score: { type: 'string' } },
        allOf: [
          { if: { properties: { type: { const: 'CVSS_V3' } } }, then: { properties: { score: { type: 'string', pattern: '^CVSS:3\\.[01]/([A-Z]+:[A-Z]+/)*[A-Z]+:[A-Z]+$' } } } },
          { if: { properties: { type: { const: 'CVSS_V4' } } }, then: { properties: { score: { type: 'string', pattern: '^CVSS:4\\.0/([A-Z]+:[A-Za-z]+/)*[A-Z]+:[A-Za-z]+$' } } } },
        ],
      },
    },
  },
} as const;
