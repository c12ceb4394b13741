/**
 * Test support: checks a JSON value against protobuf message definitions the
 * way Envoy's loader reads it (the proto3 JSON mapping, with the snake_case
 * proto field names this registry writes): every field must exist in the
 * message, have the right JSON shape, oneofs hold at most one field (exactly
 * one when protoc-gen-validate requires it), and the protoc-gen-validate rules
 * Envoy enforces on the fields we use (required messages, string min_len) hold.
 * `google.protobuf.Any` is followed through its `@type`.
 *
 * The definitions come from an ApiSchema: a committed snapshot of Envoy's
 * protos (envoy-api.snapshot.json), or the .proto files themselves when
 * @grpc/grpc-js-xds and protobufjs are installed (envoy-protos.ts).
 */

export interface FieldSchema {
  name: string;
  /** A scalar ('string', 'bool', 'uint32' …) or a fully qualified message or enum name. */
  type: string;
  kind: 'single' | 'repeated' | 'map';
  oneof: string | null;
  /** (validate.rules).message.required or .duration.required */
  required: boolean;
  /** (validate.rules).string.min_len */
  minLen: number;
}

export interface MessageSchema {
  fields: FieldSchema[];
  oneofs: { name: string; required: boolean }[];
}

export interface ApiSchema {
  message(name: string): MessageSchema | null;
  enumValues(name: string): string[] | null;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const SCALARS_INT = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const SCALARS_INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem found, each prefixed with its JSON path; empty when the value is a valid `typeName`. */
export function validateMessage(schema: ApiSchema, typeName: string, value: unknown, path = '$'): string[] {
  if (typeName === 'google.protobuf.Any') return validateAny(schema, value, path);
  const special = specialJson(typeName, value, path);
  if (special !== null) return special;
  const message = schema.message(typeName);
  if (message === null) return [`${path}: no definition of ${typeName} to check against`];
  if (!isObject(value)) return [`${path}: ${typeName} must be a JSON object`];
  const problems: string[] = [];
  const byName = new Map(message.fields.map((f) => [f.name, f]));
  for (const key of Object.keys(value)) {
    if (!byName.has(key)) problems.push(`${path}.${key}: ${typeName} has no field "${key}"`);
  }
  for (const field of message.fields) {
    const present = field.name in value && value[field.name] !== null;
    if (!present) {
      // A rule on a oneof member applies only when that member is the one set.
      if (field.required && field.oneof === null) problems.push(`${path}.${field.name}: required in ${typeName}`);
      continue;
    }
    problems.push(...validateField(schema, field, value[field.name], `${path}.${field.name}`));
  }
  for (const oneof of message.oneofs) {
    const set = message.fields.filter((f) => f.oneof === oneof.name && f.name in value && value[f.name] !== null).map((f) => f.name);
    if (set.length > 1) problems.push(`${path}: oneof ${oneof.name} of ${typeName} has several fields set (${set.join(', ')})`);
    if (oneof.required && set.length === 0) problems.push(`${path}: oneof ${oneof.name} of ${typeName} requires one of ${message.fields.filter((f) => f.oneof === oneof.name).map((f) => f.name).join(', ')}`);
  }
  return problems;
}

function validateField(schema: ApiSchema, field: FieldSchema, value: unknown, path: string): string[] {
  if (field.kind === 'repeated') {
    if (!Array.isArray(value)) return [`${path}: must be a JSON array (repeated ${field.type})`];
    return value.flatMap((item, i) => validateValue(schema, field, item, `${path}[${i}]`));
  }
  if (field.kind === 'map') {
    if (!isObject(value)) return [`${path}: must be a JSON object (map of ${field.type})`];
    return Object.entries(value).flatMap(([k, v]) => validateValue(schema, field, v, `${path}.${k}`));
  }
  return validateValue(schema, field, value, path);
}

function validateValue(schema: ApiSchema, field: FieldSchema, value: unknown, path: string): string[] {
  const scalar = validateScalar(field.type, value, path);
  if (scalar !== null) {
    if (scalar.length === 0 && field.type === 'string' && (value as string).length < field.minLen) return [`${path}: must be at least ${field.minLen} characters`];
    return scalar;
  }
  const values = schema.enumValues(field.type);
  if (values !== null) {
    if (typeof value === 'string' && values.includes(value)) return [];
    return [`${path}: ${JSON.stringify(value)} is not a value of ${field.type} (${values.join(', ')})`];
  }
  return validateMessage(schema, field.type, value, path);
}

/** Null when `type` is not a scalar. */
function validateScalar(type: string, value: unknown, path: string): string[] | null {
  if (type === 'string' || type === 'bytes') return typeof value === 'string' ? [] : [`${path}: must be a string`];
  if (type === 'bool') return typeof value === 'boolean' ? [] : [`${path}: must be true or false`];
  if (type === 'double' || type === 'float') return typeof value === 'number' ? [] : [`${path}: must be a number`];
  if (SCALARS_INT.has(type)) {
    const ok = typeof value === 'number' && Number.isInteger(value) && (type.startsWith('u') || type.startsWith('fixed') ? value >= 0 && value <= 2 ** 32 - 1 : value >= -(2 ** 31) && value <= 2 ** 31 - 1);
    return ok ? [] : [`${path}: must be a ${type}`];
  }
  if (SCALARS_INT64.has(type)) {
    const ok = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
    return ok ? [] : [`${path}: must be a ${type} (a whole number)`];
  }
  return null;
}

/** Well-known types with their own JSON form; null for ordinary messages. */
function specialJson(typeName: string, value: unknown, path: string): string[] | null {
  if (typeName === 'google.protobuf.Duration') {
    return typeof value === 'string' && /^-?\d+(\.\d{1,9})?s$/.test(value) ? [] : [`${path}: a Duration is written as a string such as "1.5s"`];
  }
  if (typeName in WRAPPERS) return validateScalar(WRAPPERS[typeName]!, value, path);
  if (typeName === 'google.protobuf.Struct') return isObject(value) ? [] : [`${path}: a Struct is a JSON object`];
  if (typeName === 'google.protobuf.Value') return [];
  if (typeName === 'google.protobuf.Empty') return isObject(value) && Object.keys(value).length === 0 ? [] : [`${path}: Empty is {}`];
  return null;
}

function validateAny(schema: ApiSchema, value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path}: an Any is a JSON object with "@type"`];
  const typeUrl = value['@type'];
  if (typeof typeUrl !== 'string' || !typeUrl.startsWith(TYPE_URL_PREFIX)) return [`${path}["@type"]: must be ${TYPE_URL_PREFIX}<message>`];
  const typeName = typeUrl.slice(TYPE_URL_PREFIX.length);
  const { '@type': _type, ...rest } = value;
  // Well-known types with a special JSON form keep it under "value".
  if (specialJson(typeName, null, path) !== null) {
    const keys = Object.keys(rest);
    if (keys.length !== 1 || keys[0] !== 'value') return [`${path}: an Any holding ${typeName} has exactly "@type" and "value"`];
    return specialJson(typeName, rest.value, `${path}.value`)!;
  }
  if (schema.message(typeName) === null) return [`${path}["@type"]: unknown message ${typeName}`];
  return validateMessage(schema, typeName, rest, path);
}

/** A schema from a plain snapshot: `{ messages: { name: MessageSchema }, enums: { name: values } }`. */
export interface ApiSnapshot {
  source: string;
  messages: Record<string, MessageSchema>;
  enums: Record<string, string[]>;
}

export function snapshotSchema(snapshot: ApiSnapshot): ApiSchema {
  return {
    message: (name) => snapshot.messages[name] ?? null,
    enumValues: (name) => snapshot.enums[name] ?? null,
  };
}
