import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Server as GrpcServer, ServerCredentials, status as grpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
// The official OTLP protobuf definitions (opentelemetry-proto's .proto files) compiled by pbjs into a
// protobufjs static module, as @opentelemetry/otlp-transformer shipped them up to 0.214.0 (later releases
// hand-write their encoder and have no decoder). It needs only protobufjs/minimal, our own protobufjs 7.
import generated from '@opentelemetry/otlp-transformer/build/src/generated/root.js';

/** The generated root, untyped by its own .d.ts beyond protobufjs.Root; the tests encode requests with it too. */
export const otlpProto: any = (generated as any).opentelemetry.proto;

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  /** null for a root span. */
  parentSpanId: string | null;
  name: string;
  kind: 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: { name: string; timeUnixNano: bigint; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message: string };
  /** The resource's attributes: service.name and the like. */
  resource: Attributes;
  scope: { name: string; version: string };
}

export interface DecodedDataPoint {
  attributes: Attributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram, exponential histogram and summary points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Explicit-bucket histograms: bucketCounts has one more entry than explicitBounds (the +Inf bucket). */
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface DecodedMetric {
  name: string;
  description: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** Sums and histograms. */
  temporality?: 'UNSPECIFIED' | 'DELTA' | 'CUMULATIVE';
  /** Sums only. */
  monotonic?: boolean;
  points: DecodedDataPoint[];
  resource: Attributes;
  scope: { name: string; version: string };
}

export interface DecodedLogRecord {
  timeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  traceId: string | null;
  spanId: string | null;
  resource: Attributes;
  scope: { name: string; version: string };
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT: an exporter's endpoint is `${url}/v1/traces`. */
  url: string;
  port: number;
  /** With `grpc: true`, the OTLP/gRPC endpoint (http://127.0.0.1:PORT, plaintext), as a collector's 4317; else null. */
  grpcUrl: string | null;
  /** Requests by transport: what each exporter really used. */
  requestsBy(): { http: number; grpc: number };
  spans(): DecodedSpan[];
  /** Resolves with all spans so far once `predicate` holds for them; rejects after timeoutMs (10 s unless told). */
  waitForSpans(predicate: (spans: DecodedSpan[]) => boolean, timeoutMs?: number): Promise<DecodedSpan[]>;
  metrics(): DecodedMetric[];
  logs(): DecodedLogRecord[];
  /** How many requests came in, accepted or not. */
  requests(): number;
  /** Requests answered with an error, and why. */
  rejected(): { path: string; status: number; error: string }[];
  /** Closes the server. Safe to call twice. */
  stop(): Promise<void>;
}

const SIGNALS = {
  '/v1/traces': { request: otlpProto.collector.trace.v1.ExportTraceServiceRequest, response: otlpProto.collector.trace.v1.ExportTraceServiceResponse },
  '/v1/metrics': { request: otlpProto.collector.metrics.v1.ExportMetricsServiceRequest, response: otlpProto.collector.metrics.v1.ExportMetricsServiceResponse },
  '/v1/logs': { request: otlpProto.collector.logs.v1.ExportLogsServiceRequest, response: otlpProto.collector.logs.v1.ExportLogsServiceResponse },
} as const;

/** The OTLP/gRPC services (opentelemetry-proto's collector.{trace,metrics,logs}.v1 packages) and the signal each carries. */
const GRPC_SERVICES = {
  '/v1/traces': 'opentelemetry.proto.collector.trace.v1.TraceService',
  '/v1/metrics': 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  '/v1/logs': 'opentelemetry.proto.collector.logs.v1.LogsService',
} as const;

/**
 * An OTLP/HTTP receiver, as a collector is to an SDK's exporter: POST /v1/traces, /v1/metrics and /v1/logs
 * in protobuf (application/x-protobuf) or OTLP/JSON (application/json), gzip or not. Each accepted request
 * gets 200 with an empty Export*ServiceResponse; a body that does not decode gets 400 and is remembered.
 * With `grpc: true` it also serves the three OTLP/gRPC Export methods (@grpc/grpc-js, plaintext), decoded
 * with the same definitions; a request that does not decode gets INVALID_ARGUMENT and is remembered.
 */
export async function startOtlpReceiver(options: { grpc?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const metrics: DecodedMetric[] = [];
  const logs: DecodedLogRecord[] = [];
  const rejected: { path: string; status: number; error: string }[] = [];
  const waiters = new Set<() => void>();
  let requests = 0;
  const requestsBy = { http: 0, grpc: 0 };
  /** Keeps a decoded Export request's contents; throws on one that is not shaped as OTLP. */
  const accept = (path: keyof typeof SIGNALS, message: any): void => {
    if (path === '/v1/traces') spans.push(...flattenSpans(message));
    else if (path === '/v1/metrics') metrics.push(...flattenMetrics(message));
    else logs.push(...flattenLogs(message));
    for (const wake of waiters) wake();
  };

  const server: Server = createServer(async (request, response) => {
    requests++;
    requestsBy.http++;
    const path = (request.url ?? '').split('?')[0]!;
    const reject = (status: number, error: string): void => {
      rejected.push({ path, status, error });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(error);
    };
    const signal = SIGNALS[path as keyof typeof SIGNALS];
    if (signal === undefined) return reject(404, `no OTLP signal at ${path}`);
    if (request.method !== 'POST') return reject(405, `${request.method} ${path}: OTLP/HTTP takes POST`);
    const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (contentType !== 'application/x-protobuf' && contentType !== 'application/json') return reject(415, `unsupported content-type ${contentType}`);

    let message: any;
    try {
      let body = await readBody(request);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      message = contentType === 'application/json' ? JSON.parse(body.toString('utf8')) : signal.request.decode(body);
      if (typeof message !== 'object' || message === null) throw new Error('not an object');
    } catch (error) {
      return reject(400, `${path}: undecodable ${contentType} body: ${(error as Error).message}`);
    }
    try {
      accept(path as keyof typeof SIGNALS, message);
    } catch (error) {
      return reject(400, `${path}: malformed ${contentType} request: ${(error as Error).message}`);
    }
    if (contentType === 'application/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(signal.response.encode(signal.response.create({})).finish());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let grpcServer: GrpcServer | null = null;
  let grpcPort = 0;
  if (options.grpc) {
    grpcServer = new GrpcServer();
    for (const [path, service] of Object.entries(GRPC_SERVICES) as [keyof typeof SIGNALS, string][]) {
      const signal = SIGNALS[path];
      const method = {
        path: `/${service}/Export`,
        requestStream: false,
        responseStream: false,
        // Decoding happens in the handler, where a failure can be answered and remembered.
        requestDeserialize: (bytes: Buffer) => bytes,
        requestSerialize: (bytes: Buffer) => bytes,
        responseSerialize: (message: unknown) => Buffer.from(signal.response.encode(message).finish()),
        responseDeserialize: (bytes: Buffer) => signal.response.decode(bytes),
      };
      grpcServer.addService({ Export: method }, {
        Export: (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>) => {
          requests++;
          requestsBy.grpc++;
          try {
            accept(path, signal.request.decode(call.request));
          } catch (error) {
            const message = `${service}/Export: undecodable request: ${(error as Error).message}`;
            rejected.push({ path, status: grpcStatus.INVALID_ARGUMENT, error: message });
            return callback({ code: grpcStatus.INVALID_ARGUMENT, details: message });
          }
          callback(null, signal.response.create({}));
        },
      });
    }
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  }

  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    grpcUrl: grpcServer === null ? null : `http://127.0.0.1:${grpcPort}`,
    requestsBy: () => ({ ...requestsBy }),
    spans: () => [...spans],
    metrics: () => [...metrics],
    logs: () => [...logs],
    requests: () => requests,
    rejected: () => [...rejected],
    waitForSpans(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (!predicate([...spans])) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve([...spans]);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`spans did not match within ${timeoutMs} ms; received: ${JSON.stringify(spans.map((s) => ({ name: s.name, traceId: s.traceId, parentSpanId: s.parentSpanId })))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      grpcServer?.forceShutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// The flatteners read both a decoded protobuf message and OTLP/JSON, which share field names (lowerCamelCase)
// but not encodings: ids are bytes in one and hex strings in the other, enums numbers or names, and 64-bit
// integers Long objects (protobufjs with `long`) or decimal strings.

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;
const TEMPORALITIES = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'] as const;

function flattenSpans(request: any): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = scopeOf(scopeSpans.scope);
      for (const span of scopeSpans.spans ?? []) {
        const traceId = id(span.traceId, 16);
        const spanId = id(span.spanId, 8);
        if (traceId === null || spanId === null) throw new Error(`span ${span.name} has no trace or span id`);
        out.push({
          traceId,
          spanId,
          parentSpanId: id(span.parentSpanId, 8),
          name: span.name ?? '',
          kind: enumName(SPAN_KINDS, span.kind, 'SPAN_KIND_'),
          startTimeUnixNano: int64(span.startTimeUnixNano),
          endTimeUnixNano: int64(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((e: any) => ({ name: e.name ?? '', timeUnixNano: int64(e.timeUnixNano), attributes: attributes(e.attributes) })),
          links: (span.links ?? []).map((l: any) => ({ traceId: id(l.traceId, 16) ?? '', spanId: id(l.spanId, 8) ?? '', attributes: attributes(l.attributes) })),
          status: { code: enumName(STATUS_CODES, span.status?.code, 'STATUS_CODE_'), message: span.status?.message ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function flattenMetrics(request: any): DecodedMetric[] {
  const out: DecodedMetric[] = [];
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const resource = attributes(resourceMetrics.resource?.attributes);
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      const scope = scopeOf(scopeMetrics.scope);
      for (const metric of scopeMetrics.metrics ?? []) {
        const type = (['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary'] as const).find((t) => metric[t] != null);
        if (type === undefined) throw new Error(`metric ${metric.name} has no data`);
        const data = metric[type];
        out.push({
          name: metric.name ?? '',
          description: metric.description ?? '',
          unit: metric.unit ?? '',
          type,
          ...(data.aggregationTemporality != null || type === 'sum' || type === 'histogram' || type === 'exponentialHistogram'
            ? { temporality: enumName(TEMPORALITIES, data.aggregationTemporality, 'AGGREGATION_TEMPORALITY_') }
            : {}),
          ...(type === 'sum' ? { monotonic: Boolean(data.isMonotonic) } : {}),
          points: (data.dataPoints ?? []).map((p: any): DecodedDataPoint => {
            const point: DecodedDataPoint = { attributes: attributes(p.attributes), startTimeUnixNano: int64(p.startTimeUnixNano), timeUnixNano: int64(p.timeUnixNano) };
            if (type === 'sum' || type === 'gauge') point.value = p.asDouble != null ? Number(p.asDouble) : Number(int64(p.asInt));
            else {
              point.count = Number(int64(p.count));
              if (p.sum != null) point.sum = Number(p.sum);
              if (p.min != null) point.min = Number(p.min);
              if (p.max != null) point.max = Number(p.max);
              if (type === 'histogram') {
                point.bucketCounts = (p.bucketCounts ?? []).map((c: unknown) => Number(int64(c)));
                point.explicitBounds = (p.explicitBounds ?? []).map(Number);
              }
            }
            return point;
          }),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function flattenLogs(request: any): DecodedLogRecord[] {
  const out: DecodedLogRecord[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resource = attributes(resourceLogs.resource?.attributes);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      const scope = scopeOf(scopeLogs.scope);
      for (const record of scopeLogs.logRecords ?? []) {
        out.push({
          timeUnixNano: int64(record.timeUnixNano),
          severityNumber: typeof record.severityNumber === 'number' ? record.severityNumber : Number(record.severityNumber ?? 0) || 0,
          severityText: record.severityText ?? '',
          body: anyValue(record.body),
          attributes: attributes(record.attributes),
          traceId: id(record.traceId, 16),
          spanId: id(record.spanId, 8),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function scopeOf(scope: any): { name: string; version: string } {
  return { name: scope?.name ?? '', version: scope?.version ?? '' };
}

/** Bytes (protobuf) or hex (OTLP/JSON) to lowercase hex; empty or all-zero means absent. */
function id(value: unknown, length: number): string | null {
  if (value == null) return null;
  const hex = typeof value === 'string' ? value.toLowerCase() : Buffer.from(value as Uint8Array).toString('hex');
  if (hex === '' || /^0+$/.test(hex)) return null;
  if (hex.length !== length * 2 || !/^[0-9a-f]+$/.test(hex)) throw new Error(`an id of ${length} bytes was ${JSON.stringify(hex)}`);
  return hex;
}

/** fixed64/int64 as a Long, a number or a decimal string; absent is 0. */
function int64(value: unknown): bigint {
  if (value == null) return 0n;
  return BigInt(typeof value === 'object' ? String(value) : (value as string | number));
}

function enumName<const T extends readonly string[]>(names: T, value: unknown, prefix: string): T[number] {
  if (value == null) return names[0];
  if (typeof value === 'number') {
    const name = names[value];
    if (name === undefined) throw new Error(`no ${prefix}* value ${value}`);
    return name;
  }
  const name = String(value).replace(prefix, '');
  if (!names.includes(name)) throw new Error(`no ${prefix}* value ${JSON.stringify(value)}`);
  return name;
}

function attributes(list: any[] | null | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** AnyValue to plain JS: int64 as a number (attributes this large do not come up in tests), bytes as hex. */
function anyValue(value: any): AttributeValue {
  if (value == null) return null;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return Boolean(value.boolValue);
  if (value.intValue != null) return Number(int64(value.intValue));
  if (value.doubleValue != null) return Number(value.doubleValue);
  if (value.arrayValue != null) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue != null) return attributes(value.kvlistValue.values);
  if (value.bytesValue != null) return typeof value.bytesValue === 'string' ? Buffer.from(value.bytesValue, 'base64').toString('hex') : Buffer.from(value.bytesValue).toString('hex');
  return null;
}
