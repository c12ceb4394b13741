import { RegistryError, type FieldProblem } from '../../domain/index.js';
import type { SchemaDialect } from './contract.js';

/** What the readers of each manifest format share: the loose parts already read, and one list of problems. */
export interface ReaderContext {
  publishedVersion: string;
  /** namespace/name of the plugin being published, when the caller knows it. */
  publishedPlugin: string | null;
  /** The `readme` part's text, when one was sent. */
  readme: string | null;
  /** The `schema` part, when one was sent. */
  schemaPart: { value: Record<string, unknown>; dialect: SchemaDialect } | null;
  problems: FieldProblem[];
}

/** Runs `read`; a 400 it throws joins `problems` (so every problem is reported at once) and gives null. */
export function collect<T>(problems: FieldProblem[], read: () => T): T | null {
  try {
    return read();
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'invalid_input') {
      problems.push(...(error.extensions.errors as FieldProblem[]));
      return null;
    }
    throw error;
  }
}

/** "/examples/0/name" as a field path: ".examples[0].name". */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((token) => (/^(0|[1-9][0-9]*)$/.test(token) ? `[${token}]` : /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(token) ? `.${token}` : `[${JSON.stringify(token)}]`))
    .join('');
}
