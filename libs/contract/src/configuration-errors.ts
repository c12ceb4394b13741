import type { ErrorObject } from 'ajv';
import type { ConfigurationError } from './contract.js';
import { pointerToken } from './schema-refs.js';

/**
 * Ajv's errors as an operator reads them: the pointer names the field at fault
 * (a missing or unexpected field's own pointer, not its parent's), the rule is
 * the keyword broken, and the message is a sentence, e.g. "issuer is required".
 */
export function configurationErrors(errors: readonly ErrorObject[], limit: number): ConfigurationError[] {
  const shown = withoutBranchNoise(errors);
  const described: ConfigurationError[] = [];
  const seen = new Set<string>();
  for (const error of shown) {
    const item = describe(error);
    const key = `${item.pointer}\u0000${item.rule}\u0000${item.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    described.push(item);
    if (described.length >= limit) break;
  }
  return described;
}

/**
 * When an anyOf/oneOf fails, Ajv also lists what each alternative disliked.
 * Those are kept only where they are all there is; an `if` failure is the
 * same as the `then`/`else` errors beside it.
 */
function withoutBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const namesChecked = errors.some((e) => e.propertyName !== undefined);
  return errors.filter((error) => {
    if (error.keyword === 'if') return errors.length === 1;
    // The rule a field name broke is reported on that name; the wrapper adds nothing.
    if (error.keyword === 'propertyNames' && namesChecked) return false;
    return !combinators.some((c) => c !== error && error.schemaPath.startsWith(`${c.schemaPath}/`));
  });
}

const p = (error: ErrorObject): Record<string, unknown> => error.params as Record<string, unknown>;

function describe(error: ErrorObject): ConfigurationError {
  const at = error.instancePath;
  const rule = error.keyword;
  const params = p(error);
  const say = (message: string, pointer = at): ConfigurationError => ({ pointer, rule, message });
  if (error.propertyName !== undefined) {
    // Inside propertyNames: the value checked is the field's name.
    const inner = describe({ ...error, propertyName: undefined });
    return { pointer: `${at}/${pointerToken(error.propertyName)}`, rule, message: `the field name ${JSON.stringify(error.propertyName)} ${inner.message}` };
  }
  switch (rule) {
    case 'required': {
      const name = String(params.missingProperty);
      return say(`${name} is required`, `${at}/${pointerToken(name)}`);
    }
    case 'dependentRequired':
    case 'dependencies': {
      const name = String(params.missingProperty);
      return say(`${name} is required when ${String(params.property)} is set`, `${at}/${pointerToken(name)}`);
    }
    case 'additionalProperties':
      return say(`${String(params.additionalProperty)} is not a field this object accepts`, `${at}/${pointerToken(String(params.additionalProperty))}`);
    case 'unevaluatedProperties':
      return say(`${String(params.unevaluatedProperty)} is not a field this object accepts`, `${at}/${pointerToken(String(params.unevaluatedProperty))}`);
    case 'type':
      return say(`must be ${typeNames(params.type)}`);
    case 'enum':
      return say(`must be one of: ${listed((params.allowedValues as unknown[]) ?? [])}`);
    case 'const':
      return say(`must be ${shown(params.allowedValue)}`);
    case 'minimum':
      return say(`must be at least ${String(params.limit)}`);
    case 'maximum':
      return say(`must be at most ${String(params.limit)}`);
    case 'exclusiveMinimum':
      return say(`must be greater than ${String(params.limit)}`);
    case 'exclusiveMaximum':
      return say(`must be less than ${String(params.limit)}`);
    case 'multipleOf':
      return say(`must be a multiple of ${String(params.multipleOf)}`);
    case 'minLength':
      return say(`must be at least ${count(params.limit, 'character')} long`);
    case 'maxLength':
      return say(`must be at most ${count(params.limit, 'character')} long`);
    case 'minItems':
      return say(`must have at least ${count(params.limit, 'item')}`);
    case 'maxItems':
    case 'additionalItems':
    case 'items':
    case 'unevaluatedItems':
      return typeof params.limit === 'number' ? say(`must have at most ${count(params.limit, 'item')}`) : say(error.message ?? 'is invalid');
    case 'minProperties':
      return say(`must have at least ${count(params.limit, 'field')}`);
    case 'maxProperties':
      return say(`must have at most ${count(params.limit, 'field')}`);
    case 'uniqueItems':
      return say(`must not hold the same item twice (items ${Math.min(Number(params.i), Number(params.j))} and ${Math.max(Number(params.i), Number(params.j))} are equal)`);
    case 'pattern':
      return say(`must match the pattern ${String(params.pattern)}`);
    case 'format':
      return say(`must be ${FORMATS[String(params.format)] ?? `a valid ${String(params.format)}`}`);
    case 'anyOf':
      return say('must match at least one of the forms the schema allows');
    case 'oneOf':
      return Array.isArray(params.passingSchemas)
        ? say(`must match exactly one of the forms the schema allows, but matches ${params.passingSchemas.length}`)
        : say('must match one of the forms the schema allows');
    case 'not':
      return say('must not match the form the schema excludes');
    case 'false schema':
      return say('is not allowed here');
    case 'contains':
      return say(`must contain at least ${count(params.minContains ?? 1, 'item')} matching the schema`);
    case 'propertyNames':
      return say(`has a field name the schema does not allow: ${JSON.stringify(params.propertyName)}`);
    case 'if':
      return say(`must match the schema's "${String(params.failingKeyword)}" branch`);
    default:
      return say(error.message ?? 'is invalid');
  }
}

const FORMATS: Readonly<Record<string, string>> = {
  uri: 'an absolute URI',
  'uri-reference': 'a URI reference',
  url: 'a URL',
  email: 'an email address',
  hostname: 'a host name',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  'date-time': 'a date and time (RFC 3339, e.g. 2024-05-01T12:00:00Z)',
  date: 'a date (YYYY-MM-DD)',
  time: 'a time (HH:MM:SS with a time zone)',
  duration: 'an ISO 8601 duration (e.g. P1DT2H)',
  uuid: 'a UUID',
  regex: 'a regular expression in RE2 syntax',
  'json-pointer': 'a JSON Pointer',
};

const ARTICLE: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeNames(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.map((t) => ARTICLE[t] ?? t).join(' or ');
}

/** Values as a person reads them: strings bare, everything else as JSON; at most 20. */
function listed(values: readonly unknown[]): string {
  const names = values.slice(0, 20).map(shown);
  return values.length > 20 ? `${names.join(', ')}, … (${values.length} in all)` : names.join(', ');
}

const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const count = (n: unknown, noun: string): string => `${String(n)} ${noun}${n === 1 ? '' : 's'}`;
