import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiSchema, ApiSnapshot, FieldSchema, MessageSchema } from './proto-json.js';

/**
 * Test support: Envoy's own API definitions, read from the .proto files that
 * the npm package @grpc/grpc-js-xds ships (deps/envoy-api, with the xds,
 * googleapis and protoc-gen-validate protos they import) by protobufjs.
 * Both are devDependencies (tests only); `loadEnvoyProtos` returns null when
 * they cannot be found, and the test that needs them fails then.
 * ENVOY_PROTOS_FROM names another directory whose node_modules holds them.
 */

/** The files that define every message the generated configuration uses. */
export const ENVOY_PROTO_FILES = [
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/config/listener/v3/listener_components.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'google/protobuf/wrappers.proto',
];

export interface EnvoyProtos {
  schema: ApiSchema;
  /** Where the .proto files were read, and the package version. */
  source: string;
}

export function loadEnvoyProtos(): EnvoyProtos | null {
  const from = process.env.ENVOY_PROTOS_FROM;
  const require = createRequire(from === undefined ? import.meta.url : pathToFileURL(join(from, 'package.json')).href);
  let protobuf: any;
  let packageJson: string;
  try {
    protobuf = require('protobufjs');
    packageJson = require.resolve('@grpc/grpc-js-xds/package.json');
  } catch {
    return null;
  }
  const version = (require('@grpc/grpc-js-xds/package.json') as { version: string }).version;
  const deps = join(dirname(packageJson), 'deps');
  const includes = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  // descriptor.proto (imported by the validate and annotation protos) comes with protobufjs.
  protobuf.common('descriptor', require('protobufjs/google/protobuf/descriptor.json').nested.google.nested.protobuf.nested);
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string | null => {
    for (const dir of includes) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target in protobuf.common ? null : target;
  };
  root.loadSync(ENVOY_PROTO_FILES, { keepCase: true });
  root.resolveAll();
  const lookup = (name: string, kind: any): any => {
    try {
      return root.lookupTypeOrEnum(name) instanceof kind ? root.lookupTypeOrEnum(name) : null;
    } catch {
      return null;
    }
  };
  const schema: ApiSchema = {
    message(name) {
      const type = lookup(name, protobuf.Type);
      if (type === null) return null;
      const fields: FieldSchema[] = type.fieldsArray.map((field: any) => {
        const rules = field.options ?? {};
        return {
          name: field.name,
          type: field.resolvedType ? String(field.resolvedType.fullName).replace(/^\./, '') : field.type,
          kind: field.map ? 'map' : field.repeated ? 'repeated' : 'single',
          oneof: field.partOf ? field.partOf.name : null,
          required: rules['(validate.rules).message.required'] === true || rules['(validate.rules).duration.required'] === true,
          minLen: Number(rules['(validate.rules).string.min_len'] ?? 0),
        } satisfies FieldSchema;
      });
      const oneofs = type.oneofsArray.map((oneof: any) => ({ name: oneof.name, required: oneof.options?.['(validate.required)'] === true }));
      return { fields, oneofs } satisfies MessageSchema;
    },
    enumValues(name) {
      const found = lookup(name, protobuf.Enum);
      return found === null ? null : Object.keys(found.values);
    },
  };
  return { schema, source: `@grpc/grpc-js-xds ${version} (deps/envoy-api)` };
}

/**
 * The definitions `typeNames` need, and every message and enum they reach
 * through the fields in `follow` (a field name per message, "*" for all), as a
 * snapshot to commit.
 */
export function snapshotOf(schema: ApiSchema, source: string, typeNames: readonly string[], follow: Readonly<Record<string, readonly string[]>>): ApiSnapshot {
  const snapshot: ApiSnapshot = { source, messages: {}, enums: {} };
  const visit = (name: string): void => {
    if (name in snapshot.messages || name in snapshot.enums) return;
    const values = schema.enumValues(name);
    if (values !== null) {
      snapshot.enums[name] = values;
      return;
    }
    const message = schema.message(name);
    if (message === null) return;
    snapshot.messages[name] = message;
    const followed = follow[name] ?? [];
    for (const field of message.fields) {
      if (followed.includes('*') || followed.includes(field.name)) visit(field.type);
    }
  };
  typeNames.forEach(visit);
  return snapshot;
}

/** The snapshot as committed: one line per field, so that a change in Envoy's API reads as a one-line diff. */
export function formatSnapshot(snapshot: ApiSnapshot): string {
  const messages = Object.entries(snapshot.messages).map(
    ([name, message]) =>
      `    ${JSON.stringify(name)}: {\n      "fields": [\n${message.fields.map((f) => `        ${JSON.stringify(f)}`).join(',\n')}\n      ],\n      "oneofs": ${JSON.stringify(message.oneofs)}\n    }`,
  );
  const enums = Object.entries(snapshot.enums).map(([name, values]) => `    ${JSON.stringify(name)}: ${JSON.stringify(values)}`);
  return `{\n  "source": ${JSON.stringify(snapshot.source)},\n  "messages": {\n${messages.join(',\n')}\n  },\n  "enums": {\n${enums.join(',\n')}\n  }\n}\n`;
}
