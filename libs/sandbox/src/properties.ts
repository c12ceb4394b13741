import { SYNTHETIC_AUTHORITY } from './default-requests.js';

/**
 * The properties a module can read with proxy_get_property: a fixed set of plausible values, documented here
 * because a trial's result depends on them. Paths are the NUL-separated segments Envoy takes ("request\0path").
 * Values are serialized as Envoy serializes them (extensions/common/wasm/context.cc serializeValue): strings as
 * their bytes, integers as 8 bytes little-endian, booleans as one byte, maps as header pairs, protobuf messages
 * (node.metadata) in protobuf wire format. Anything else answers NotFound, as Envoy does for an unknown name.
 */

type PropertyValue = string | bigint | boolean | [string, string][] | Uint8Array;

/** What the synthetic stream a property is read from looks like; null outside a stream (root contexts). */
export interface PropertyStream {
  method: string;
  path: string;
  requestHeaders: [string, string][];
  requestBodyBytes: number;
  responseStatus: number | null;
  responseHeaders: [string, string][] | null;
  responseBodyBytes: number;
}

export interface PropertyScope {
  rootId: string;
  vmId: string;
  stream: PropertyStream | null;
}

export const TRIAL_VM_ID = 'registry-trial';

/** The node's metadata, as an Istio sidecar's looks (strings only). */
export const NODE_METADATA: Readonly<Record<string, string>> = {
  NAME: 'shop-7d9f8b6c5-x2k4q',
  NAMESPACE: 'default',
  CLUSTER_ID: 'Kubernetes',
  WORKLOAD_NAME: 'shop',
  ISTIO_VERSION: '1.24.0',
  MESH_ID: 'cluster.local',
};

const NODE_ID = 'sidecar~10.0.0.5~shop-7d9f8b6c5-x2k4q.default~default.svc.cluster.local';
// A fixed instant (2026-01-01T00:00:00Z) so two trials of the same module agree.
const REQUEST_TIME_NANOS = 1_767_225_600_000_000_000n;

/** Every property name the sandbox answers, with the value's meaning; the rest are NotFound. */
export const PROPERTY_NAMES: readonly string[] = [
  'plugin_name', 'plugin_root_id', 'plugin_vm_id', 'node.id', 'node.cluster', 'node.metadata', 'node.metadata.<key>',
  'cluster_name', 'route_name', 'listener_direction', 'source.address', 'source.port', 'destination.address',
  'destination.port', 'upstream.address', 'upstream.port', 'connection.id', 'connection.mtls',
  'connection.requested_server_name', 'request.path', 'request.url_path', 'request.host', 'request.scheme',
  'request.method', 'request.headers', 'request.referer', 'request.useragent', 'request.id', 'request.protocol',
  'request.time', 'request.size', 'request.total_size', 'response.code', 'response.code_details', 'response.flags',
  'response.headers', 'response.size', 'response.total_size',
];

const header = (headers: [string, string][], name: string): string | undefined =>
  headers.find(([key]) => key === name)?.[1];

function lookup(path: string, scope: PropertyScope): PropertyValue | undefined {
  switch (path) {
    case 'plugin_name':
    case 'plugin_root_id':
      return scope.rootId;
    case 'plugin_vm_id':
      return scope.vmId;
    case 'node.id':
      return NODE_ID;
    case 'node.cluster':
      return 'shop.default';
    case 'node.metadata':
      return encodeStruct(NODE_METADATA);
    case 'cluster_name':
      return 'outbound|8080||shop.default.svc.cluster.local';
    case 'route_name':
      return 'default';
    case 'listener_direction':
      return 1n; // INBOUND
    case 'source.address':
      return '203.0.113.7:51234';
    case 'source.port':
      return 51234n;
    case 'destination.address':
      return '10.0.0.5:8080';
    case 'destination.port':
      return 8080n;
    case 'upstream.address':
      return '127.0.0.1:8080';
    case 'upstream.port':
      return 8080n;
    case 'connection.id':
      return 1n;
    case 'connection.mtls':
      return false;
    case 'connection.requested_server_name':
      return SYNTHETIC_AUTHORITY;
  }
  if (path.startsWith('node.metadata.')) return NODE_METADATA[path.slice('node.metadata.'.length)];
  const stream = scope.stream;
  if (!stream) return undefined;
  const headers = stream.requestHeaders;
  switch (path) {
    case 'request.path':
      return stream.path;
    case 'request.url_path':
      return stream.path.split('?')[0];
    case 'request.host':
      return header(headers, ':authority') ?? SYNTHETIC_AUTHORITY;
    case 'request.scheme':
      return 'https';
    case 'request.method':
      return stream.method;
    case 'request.headers':
      return headers;
    case 'request.referer':
      return header(headers, 'referer');
    case 'request.useragent':
      return header(headers, 'user-agent');
    case 'request.id':
      return header(headers, 'x-request-id') ?? '0b6e7c1d-52f4-4f3a-8a5e-6f0c2d9e1a77';
    case 'request.protocol':
      return 'HTTP/1.1';
    case 'request.time':
      return REQUEST_TIME_NANOS;
    case 'request.size':
      return BigInt(stream.requestBodyBytes);
    case 'request.total_size':
      return BigInt(stream.requestBodyBytes + headers.reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0));
  }
  if (stream.responseStatus === null || stream.responseHeaders === null) return undefined;
  switch (path) {
    case 'response.code':
      return BigInt(stream.responseStatus);
    case 'response.code_details':
      return 'via_upstream';
    case 'response.flags':
      return 0n;
    case 'response.headers':
      return stream.responseHeaders;
    case 'response.size':
      return BigInt(stream.responseBodyBytes);
    case 'response.total_size':
      return BigInt(stream.responseBodyBytes + stream.responseHeaders.reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0));
  }
  return undefined;
}

const utf8 = new TextEncoder();

/** The bytes proxy_get_property answers for a NUL-separated path, or null (NotFound). */
export function propertyBytes(segments: string[], scope: PropertyScope): Uint8Array | null {
  const value = lookup(segments.join('.'), scope);
  if (value === undefined) return null;
  if (typeof value === 'string') return utf8.encode(value);
  if (typeof value === 'boolean') return Uint8Array.of(value ? 1 : 0);
  if (typeof value === 'bigint') {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, value, true);
    return bytes;
  }
  if (value instanceof Uint8Array) return value;
  return serializePairs(value);
}

/**
 * Header pairs as proxy-wasm-cpp-host's PairsUtil::marshalPairs lays them out: the count, then each key's and
 * value's byte length (u32 little-endian), then each key and value followed by a NUL.
 */
export function serializePairs(pairs: readonly [string, string][]): Uint8Array {
  const encoded = pairs.map(([k, v]) => [utf8.encode(k), utf8.encode(v)] as const);
  const size = 4 + encoded.reduce((sum, [k, v]) => sum + 8 + k.length + v.length + 2, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, encoded.length, true);
  let at = 4;
  for (const [k, v] of encoded) {
    view.setUint32(at, k.length, true);
    view.setUint32(at + 4, v.length, true);
    at += 8;
  }
  for (const [k, v] of encoded) {
    bytes.set(k, at);
    at += k.length + 1;
    bytes.set(v, at);
    at += v.length + 1;
  }
  return bytes;
}

const utf8Decoder = new TextDecoder();

/** PairsUtil::toPairs: malformed input gives no pairs, as in the C++ host. */
export function parsePairs(bytes: Uint8Array): [string, string][] {
  if (bytes.length < 4) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (count > (bytes.length - 4) / 10) return [];
  const sizes: [number, number][] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    sizes.push([view.getUint32(at, true), view.getUint32(at + 4, true)]);
    at += 8;
  }
  const pairs: [string, string][] = [];
  for (const [keySize, valueSize] of sizes) {
    if (at + keySize + valueSize + 2 > bytes.length) return [];
    const key = utf8Decoder.decode(bytes.subarray(at, at + keySize));
    at += keySize + 1;
    const value = utf8Decoder.decode(bytes.subarray(at, at + valueSize));
    at += valueSize + 1;
    pairs.push([key, value]);
  }
  return pairs;
}

// google.protobuf.Struct { map<string, Value> fields = 1 }, Value { string string_value = 3 }.
function encodeStruct(fields: Readonly<Record<string, string>>): Uint8Array {
  const out: number[] = [];
  const varint = (n: number): void => {
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
  };
  for (const [key, text] of Object.entries(fields)) {
    const k = utf8.encode(key);
    const v = utf8.encode(text);
    const valueLength = 1 + varintSize(v.length) + v.length;
    const entryLength = 1 + varintSize(k.length) + k.length + 1 + varintSize(valueLength) + valueLength;
    out.push(0x0a);
    varint(entryLength);
    out.push(0x0a);
    varint(k.length);
    out.push(...k);
    out.push(0x12);
    varint(valueLength);
    out.push(0x1a);
    varint(v.length);
    out.push(...v);
  }
  return Uint8Array.from(out);
}

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4);
