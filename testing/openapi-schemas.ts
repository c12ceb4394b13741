import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validators for openapi.yaml's component schemas, to check that what a
 * client prints as JSON is what the API documents. OpenAPI 3.0's `nullable`
 * becomes JSON Schema's null type; everything else is JSON Schema already.
 */
export function openApiValidator(): (component: string, value: unknown) => string[] {
  const document = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'openapi', components: { schemas: toJsonSchema(document.components.schemas) } });
  const cache = new Map<string, ValidateFunction>();
  return (component, value) => {
    let validate = cache.get(component);
    if (!validate) {
      validate = ajv.getSchema(`openapi#/components/schemas/${component}`);
      if (!validate) throw new Error(`openapi.yaml has no component ${component}`);
      cache.set(component, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  };
}

function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, key === 'example' || key === 'examples' ? value : toJsonSchema(value)]));
  if (nullable !== true) return converted;
  const composed = ['allOf', 'anyOf', 'oneOf', '$ref'].some((key) => key in converted);
  if (typeof converted.type === 'string' && !composed) return { ...converted, type: [converted.type, 'null'], ...(Array.isArray(converted.enum) ? { enum: [...converted.enum, null] } : {}) };
  return { anyOf: [converted, { type: 'null' }] };
}
