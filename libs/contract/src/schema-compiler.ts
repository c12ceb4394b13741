import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { SchemaDialect } from './contract.js';
import { isRe2Pattern, re2RegExp } from './re2-patterns.js';

// ajv-formats is CommonJS: its plugin is the module's `default` under ESM interop.
const addFormats = (formatsModule as unknown as { default: FormatsPlugin }).default;

/**
 * The Ajv a configuration schema is checked and compiled with (worker side).
 * One instance per schema, so two schemas' `$id`s never collide and a dropped
 * validator takes its compiled code with it.
 *
 * - strict off: Higress's OpenAPI schemas carry `nullable`, `example`, `scope`
 *   and `x-*` keywords; unknown keywords are tolerated, never run.
 * - allErrors: every error is reported (configurationErrors bounds the list).
 * - ownProperties: "constructor" is not a field every object has.
 * - patterns and `format: regex` on RE2 (linear time).
 * - no loadSchema: a reference Ajv cannot resolve locally fails to compile.
 */
export function schemaAjv(dialect: SchemaDialect): Ajv {
  const options = {
    strict: false,
    allErrors: true,
    ownProperties: true,
    validateFormats: true,
    code: { regExp: re2RegExp },
  } as const;
  const ajv = dialect === '2020-12' ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  ajv.addFormat('regex', isRe2Pattern);
  return ajv;
}

/** The schema as Ajv compiles it: its dialect is already decided, so `$schema` (maybe draft-04, Kong's) is left out. */
export function compilableSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _declared, ...rest } = schema;
  return rest;
}

/** Compiled validators by schema text, most recently used last. */
export class ValidatorCache {
  private readonly entries = new Map<string, ValidateFunction>();

  constructor(private readonly capacity: number) {}

  get(schemaJson: string): ValidateFunction | undefined {
    const found = this.entries.get(schemaJson);
    if (found !== undefined) {
      this.entries.delete(schemaJson);
      this.entries.set(schemaJson, found);
    }
    return found;
  }

  set(schemaJson: string, validate: ValidateFunction): void {
    this.entries.delete(schemaJson);
    this.entries.set(schemaJson, validate);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
