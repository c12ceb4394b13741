import type { OpenAPIObject } from '@nestjs/swagger';
import { DIGEST_LENGTH, DIGEST_PATTERN, MAX_NAME_LENGTH, NAME_PATTERN, MAX_VERSION_LENGTH } from '../../domain/index.js';

/**
 * The router's limit on one path parameter. Twice the longest value any route accepts (a version or
 * OCI tag of 128 characters), so that a value a little too long still reaches its validator and gets
 * a 400 naming the field; only absurd lengths are refused by the router itself (414).
 */
export const MAX_PATH_PARAMETER_LENGTH = 2 * Math.max(MAX_NAME_LENGTH, MAX_VERSION_LENGTH, DIGEST_LENGTH);

export const PATH_PARAMETER_RULE =
  `a path segment is longer than ${MAX_PATH_PARAMETER_LENGTH} characters; namespaces and plugin names have at most ` +
  `${MAX_NAME_LENGTH}, versions and OCI tags at most ${MAX_VERSION_LENGTH}, digests ${DIGEST_LENGTH} (sha256:<64 hex>)`;

/** What every route's path parameters accept, by name: the same limits the validators apply. */
const PATH_PARAMETER_SCHEMAS: Readonly<Record<string, Record<string, unknown>>> = {
  namespace: { type: 'string', pattern: NAME_PATTERN.source, maxLength: MAX_NAME_LENGTH },
  name: { type: 'string', pattern: NAME_PATTERN.source, maxLength: MAX_NAME_LENGTH },
  version: { type: 'string', maxLength: MAX_VERSION_LENGTH },
  digest: { type: 'string', pattern: DIGEST_PATTERN.source, maxLength: DIGEST_LENGTH },
  reference: { type: 'string', maxLength: MAX_VERSION_LENGTH },
};

/** Writes those limits into the OpenAPI document, so that the contract states what the validators check. */
export function describePathParameters(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const parameters = (operation as { parameters?: { in?: string; name?: string; schema?: object }[] } | undefined)?.parameters;
      for (const parameter of Array.isArray(parameters) ? parameters : []) {
        const schema = parameter.in === 'path' ? PATH_PARAMETER_SCHEMAS[parameter.name ?? ''] : undefined;
        if (schema !== undefined) parameter.schema = { ...parameter.schema, ...schema };
      }
    }
  }
}
