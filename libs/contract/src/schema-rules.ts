import type { FieldProblem } from '../../domain/index.js';
import { compileRe2, RE2_RULE } from './re2-patterns.js';
import { pointerToken } from './schema-refs.js';

/**
 * The rules a schema must keep before Ajv sees it, each refusal naming the
 * pointer in the schema: references stay inside the document (nothing is ever
 * fetched: the registry works air-gapped), and patterns are RE2.
 * Walks only where subschemas live, so data (`default`, `examples`, `const`,
 * `enum`, extension keywords) that happens to hold a "$ref" or "pattern" is
 * left alone. Iterative: the caller has bounded the depth already.
 */
const SCHEMA = ['additionalItems', 'additionalProperties', 'contains', 'else', 'if', 'items', 'not', 'propertyNames', 'then', 'unevaluatedItems', 'unevaluatedProperties'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SCHEMA_MAPS = ['$defs', 'definitions', 'dependentSchemas', 'patternProperties', 'properties', 'dependencies'];
const REFERENCES = ['$ref', '$dynamicRef', '$recursiveRef'];

export function schemaRuleProblems(schema: Record<string, unknown>, field: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: Array<{ node: unknown; pointer: string }> = [{ node: schema, pointer: '' }];
  while (stack.length > 0) {
    const { node, pointer } = stack.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    const subschema = node as Record<string, unknown>;
    for (const keyword of REFERENCES) {
      const ref = subschema[keyword];
      if (typeof ref === 'string' && !ref.startsWith('#')) {
        problems.push({
          field: `${field}${pointer}/${keyword}`,
          message: `${JSON.stringify(ref)} refers outside this schema; only local references ("#/…") are allowed, since the registry never fetches anything`,
        });
      }
    }
    if (typeof subschema.pattern === 'string') {
      const compiled = compileRe2(subschema.pattern);
      if (!compiled.ok) problems.push({ field: `${field}${pointer}/pattern`, message: `is not RE2 syntax (${compiled.reason}); ${RE2_RULE}` });
    }
    if (isObject(subschema.patternProperties)) {
      for (const key of Object.keys(subschema.patternProperties)) {
        const compiled = compileRe2(key);
        if (!compiled.ok) {
          problems.push({ field: `${field}${pointer}/patternProperties/${pointerToken(key)}`, message: `the key is not RE2 syntax (${compiled.reason}); ${RE2_RULE}` });
        }
      }
    }
    for (const keyword of SCHEMA) if (isObject(subschema[keyword])) stack.push({ node: subschema[keyword], pointer: `${pointer}/${keyword}` });
    for (const keyword of SCHEMA_LISTS) {
      const list = subschema[keyword];
      if (Array.isArray(list)) list.forEach((item, i) => stack.push({ node: item, pointer: `${pointer}/${keyword}/${i}` }));
    }
    for (const keyword of SCHEMA_MAPS) {
      const map = subschema[keyword];
      if (!isObject(map)) continue;
      for (const [key, value] of Object.entries(map)) stack.push({ node: value, pointer: `${pointer}/${keyword}/${pointerToken(key)}` });
    }
  }
  return problems;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
