import type { SchemaDialect } from './contract.js';

/**
 * Which JSON Schema dialect a configuration schema is written in, from its
 * `$schema`. One function for publishing and validating, so a stored schema is
 * always checked the way it was accepted.
 */
export type DeclaredDialect = SchemaDialect | 'draft-04';

export const DIALECT_URIS: Readonly<Record<SchemaDialect, string>> = {
  'draft-07': 'http://json-schema.org/draft-07/schema#',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

const KNOWN: ReadonlyMap<string, DeclaredDialect> = new Map([
  ['json-schema.org/draft-07/schema', 'draft-07'],
  ['json-schema.org/draft/2020-12/schema', '2020-12'],
  ['json-schema.org/draft-04/schema', 'draft-04'],
]);

/** What `$schema` declares (draft-07 when absent), or null for a dialect the registry does not take. */
export function declaredDialect(schema: Record<string, unknown>): DeclaredDialect | null {
  const uri = schema.$schema;
  if (uri === undefined) return 'draft-07';
  if (typeof uri !== 'string') return null;
  return KNOWN.get(uri.replace(/^https?:\/\//, '').replace(/#$/, '')) ?? null;
}

/** The dialect a schema is checked in: draft-04 (Kong's) is checked as draft-07, the nearest ajv takes. */
export function checkedDialect(schema: Record<string, unknown>): SchemaDialect {
  const declared = declaredDialect(schema);
  return declared === '2020-12' ? '2020-12' : 'draft-07';
}
