import { invalidInput, type FieldProblem } from './registry-error.js';

/** Namespaces and plugin names: lowercase, URL- and OCI-repository-safe. */
export const MAX_NAME_LENGTH = 64;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const NAME_RULE = 'must match [a-z0-9][a-z0-9-]{0,63}: 1-64 characters, lowercase letters, digits and "-", not starting with "-"';

export function nameProblem(field: string, value: string): FieldProblem | null {
  return NAME_PATTERN.test(value) ? null : { field, message: `${JSON.stringify(value)} ${NAME_RULE}` };
}

export function assertNames(fields: Readonly<Record<string, string>>): void {
  const problems = Object.entries(fields)
    .map(([field, value]) => nameProblem(field, value))
    .filter((p): p is FieldProblem => p !== null);
  if (problems.length > 0) throw invalidInput(problems);
}
