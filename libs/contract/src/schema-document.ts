import { invalidInput, type FieldProblem } from '../../domain/index.js';
import { jsonBytes, jsonValueProblem } from './bounded-document.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import type { SchemaDialect } from './contract.js';
import { DIALECT_URIS, declaredDialect } from './schema-dialect.js';

/**
 * A configuration schema as a reader found it (a `schema` part, inline in a
 * manifest, Higress's openAPIV3Schema, Kong's config_schema): an object, small
 * and shallow enough, in a dialect the registry checks. The meta-schema,
 * references and patterns are checked later, in the worker pool.
 */
export function readSchemaValue(
  value: unknown,
  field: string,
  options: { draft04?: boolean } = {},
): { value: Record<string, unknown>; dialect: SchemaDialect } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput([{ field, message: 'must be a JSON Schema object' }]);
  }
  const schema = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const depth = jsonValueProblem(schema, CONTRACT_LIMITS.schemaDepth);
  if (depth !== null) problems.push({ field, message: depth });
  else if (jsonBytes(schema) > CONTRACT_LIMITS.schemaBytes) {
    problems.push({ field, message: `must be at most ${CONTRACT_LIMITS.schemaBytes} bytes as compact JSON (got ${jsonBytes(schema)})` });
  }
  const declared = declaredDialect(schema);
  if (declared === null || (declared === 'draft-04' && !options.draft04)) {
    problems.push({
      field: `${field}/$schema`,
      message:
        `${JSON.stringify(schema.$schema)} is not a dialect the registry checks; ` +
        `allowed: ${DIALECT_URIS['draft-07']} (the default) or ${DIALECT_URIS['2020-12']}` +
        (options.draft04 ? ' (draft-04 is checked as draft-07)' : ''),
    });
  }
  if (problems.length > 0) throw invalidInput(problems);
  return { value: schema, dialect: declared === '2020-12' ? '2020-12' : 'draft-07' };
}
