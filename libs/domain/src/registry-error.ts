/**
 * An error a client can act on. `code` is stable and machine-readable; the
 * problem+json filter turns it into an RFC 9457 response.
 */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    /** Extra members of the problem document, e.g. `errors` or `allowed`. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = 'RegistryError';
  }
}

/** One invalid input, named by where it came from: `path.version`, `body.license`, `header.content-type`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export const invalidInput = (problems: readonly FieldProblem[]): RegistryError =>
  new RegistryError(
    400,
    'invalid_input',
    'Invalid input',
    problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    { errors: problems },
  );

export const notFound = (code: string, detail: string): RegistryError =>
  new RegistryError(404, code, 'Not found', detail);

export const unauthenticated = (detail: string): RegistryError =>
  new RegistryError(401, 'unauthenticated', 'Authentication required', detail);

export const forbidden = (detail: string): RegistryError =>
  new RegistryError(403, 'forbidden', 'Forbidden', detail);
