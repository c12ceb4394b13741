import type { FieldProblem } from './registry-error.js';

/** Digests are written `sha256:<64 lowercase hex>` everywhere: API, database, OCI. */
export const DIGEST_PATTERN = /^sha256:([0-9a-f]{64})$/;
export const DIGEST_LENGTH = 'sha256:'.length + 64;

export function formatDigest(hex: string): string {
  return `sha256:${hex}`;
}

export function digestHex(digest: string): string {
  const match = DIGEST_PATTERN.exec(digest);
  if (!match) throw new Error(`not a sha256 digest: ${digest}`);
  return match[1]!;
}

export function digestProblem(field: string, value: string): FieldProblem | null {
  return DIGEST_PATTERN.test(value)
    ? null
    : { field, message: `${JSON.stringify(value)} must be "sha256:" followed by 64 lowercase hexadecimal digits` };
}
