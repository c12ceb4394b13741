import { gzipSync } from 'node:zlib';
import { Client as GrpcClient, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpProto, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

// No OpenTelemetry SDK is installed yet, so the requests an exporter would send are encoded here with the same
// official definitions the receiver decodes with, and POSTed as the OTLP/HTTP exporters do.
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = otlpProto.collector.trace.v1;
const { ExportMetricsServiceRequest } = otlpProto.collector.metrics.v1;
const { ExportLogsServiceRequest } = otlpProto.collector.logs.v1;

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const ROOT_ID = 'eee19b7ec3c1b174';
const CHILD_ID = 'eee19b7ec3c1b173';
const START = 1_764_979_200_123_456_789n;

const bytes = (hex: string) => Buffer.from(hex, 'hex');
const kv = (key: string, value: object) => ({ key, value });
const resource = { attributes: [kv('service.name', { stringValue: 'wpr-api' }), kv('service.version', { stringValue: '0.1.0' })] };

function traceRequest(): Uint8Array {
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: '@wpr/api', version: '0.1.0' },
            spans: [
              {
                traceId: bytes(TRACE_ID),
                spanId: bytes(CHILD_ID),
                parentSpanId: bytes(ROOT_ID),
                name: 'db.query',
                kind: 'SPAN_KIND_CLIENT',
                startTimeUnixNano: String(START + 1_000_000n),
                endTimeUnixNano: String(START + 3_000_000n),
                attributes: [kv('db.system', { stringValue: 'postgresql' }), kv('db.rows', { intValue: 12 })],
                events: [{ name: 'exception', timeUnixNano: String(START + 2_000_000n), attributes: [kv('exception.type', { stringValue: 'TimeoutError' })] }],
                status: { code: 'STATUS_CODE_ERROR', message: 'statement timeout' },
              },
              {
                traceId: bytes(TRACE_ID),
                spanId: bytes(ROOT_ID),
                name: 'GET /v1/plugins/:name',
                kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: String(START),
                endTimeUnixNano: String(START + 5_000_000n),
                attributes: [
                  kv('http.request.method', { stringValue: 'GET' }),
                  kv('http.response.status_code', { intValue: 200 }),
                  kv('cache.hit', { boolValue: false }),
                  kv('plugin.score', { doubleValue: 0.75 }),
                  kv('plugin.tags', { arrayValue: { values: [{ stringValue: 'envoy' }, { stringValue: 'istio' }] } }),
                  kv('plugin.owner', { kvlistValue: { values: [kv('id', { intValue: 7 })] } }),
                ],
                status: { code: 'STATUS_CODE_OK' },
              },
            ],
          },
        ],
      },
    ],
  });
  return ExportTraceServiceRequest.encode(message).finish();
}

const post = (path: string, body: Uint8Array | string, contentType: string, headers: Record<string, string> = {}) =>
  fetch(`${receiver.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.stop();
});

describe('startOtlpReceiver', () => {
  it('decodes an OTLP/HTTP protobuf trace export into spans with hex ids, parent links and attributes', async () => {
    const response = await post('/v1/traces', traceRequest(), 'application/x-protobuf');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    const answer = new Uint8Array(await response.arrayBuffer());
    expect(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(answer))).toEqual({});

    const spans = await receiver.waitForSpans((s) => s.length >= 2, 2000);
    const root = spans.find((s) => s.name === 'GET /v1/plugins/:name')!;
    const child = spans.find((s) => s.name === 'db.query')!;
    expect(root).toEqual({
      traceId: TRACE_ID,
      spanId: ROOT_ID,
      parentSpanId: null,
      name: 'GET /v1/plugins/:name',
      kind: 'SERVER',
      startTimeUnixNano: START,
      endTimeUnixNano: START + 5_000_000n,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'cache.hit': false,
        'plugin.score': 0.75,
        'plugin.tags': ['envoy', 'istio'],
        'plugin.owner': { id: 7 },
      },
      events: [],
      links: [],
      status: { code: 'OK', message: '' },
      resource: { 'service.name': 'wpr-api', 'service.version': '0.1.0' },
      scope: { name: '@wpr/api', version: '0.1.0' },
    });
    expect(child).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: root.spanId,
      kind: 'CLIENT',
      attributes: { 'db.system': 'postgresql', 'db.rows': 12 },
      events: [{ name: 'exception', timeUnixNano: START + 2_000_000n, attributes: { 'exception.type': 'TimeoutError' } }],
      status: { code: 'ERROR', message: 'statement timeout' },
    });
    expect(child.endTimeUnixNano - child.startTimeUnixNano).toBe(2_000_000n);
  });

  it('takes gzip bodies and OTLP/JSON (hex ids, decimal-string nanos, numeric enums)', async () => {
    expect((await post('/v1/traces', gzipSync(traceRequest()), 'application/x-protobuf', { 'content-encoding': 'gzip' })).status).toBe(200);
    const json = {
      resourceSpans: [
        {
          resource,
          scopeSpans: [
            {
              scope: { name: 'json' },
              spans: [{ traceId: TRACE_ID.toUpperCase(), spanId: 'aaaaaaaaaaaaaaaa', parentSpanId: '', name: 'json span', kind: 1, startTimeUnixNano: '5', endTimeUnixNano: '9', attributes: [kv('n', { intValue: '42' })], status: {} }],
            },
          ],
        },
      ],
    };
    const response = await post('/v1/traces', JSON.stringify(json), 'application/json');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'json span'), 2000);
    expect(spans.filter((s) => s.name === 'db.query')).toHaveLength(2);
    expect(spans.find((s) => s.name === 'json span')).toMatchObject({
      traceId: TRACE_ID,
      spanId: 'aaaaaaaaaaaaaaaa',
      parentSpanId: null,
      kind: 'INTERNAL',
      startTimeUnixNano: 5n,
      attributes: { n: 42 },
      status: { code: 'UNSET', message: '' },
      scope: { name: 'json', version: '' },
    });
  });

  it('decodes metrics (a monotonic sum and a histogram) and logs', async () => {
    const metrics = ExportMetricsServiceRequest.encode(
      ExportMetricsServiceRequest.fromObject({
        resourceMetrics: [
          {
            resource,
            scopeMetrics: [
              {
                scope: { name: '@wpr/api' },
                metrics: [
                  {
                    name: 'wpr.downloads',
                    unit: '{download}',
                    sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', isMonotonic: true, dataPoints: [{ asInt: 3, attributes: [kv('plugin', { stringValue: 'a' })], timeUnixNano: '10' }] },
                  },
                  {
                    name: 'http.server.request.duration',
                    unit: 's',
                    histogram: {
                      aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                      dataPoints: [{ count: 4, sum: 1.5, min: 0.1, max: 0.9, bucketCounts: [1, 2, 1], explicitBounds: [0.25, 0.5], timeUnixNano: '10' }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    expect((await post('/v1/metrics', metrics, 'application/x-protobuf')).status).toBe(200);
    expect(receiver.metrics()).toMatchObject([
      { name: 'wpr.downloads', unit: '{download}', type: 'sum', temporality: 'CUMULATIVE', monotonic: true, points: [{ value: 3, attributes: { plugin: 'a' }, timeUnixNano: 10n }], resource: { 'service.name': 'wpr-api' } },
      { name: 'http.server.request.duration', unit: 's', type: 'histogram', points: [{ count: 4, sum: 1.5, min: 0.1, max: 0.9, bucketCounts: [1, 2, 1], explicitBounds: [0.25, 0.5] }] },
    ]);

    const logs = ExportLogsServiceRequest.encode(
      ExportLogsServiceRequest.fromObject({
        resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'worker' }, logRecords: [{ timeUnixNano: '7', severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'scan failed' }, traceId: bytes(TRACE_ID), spanId: bytes(ROOT_ID) }] }] }],
      }),
    ).finish();
    expect((await post('/v1/logs', logs, 'application/x-protobuf')).status).toBe(200);
    expect(receiver.logs()).toEqual([
      { timeUnixNano: 7n, severityNumber: 17, severityText: 'ERROR', body: 'scan failed', attributes: {}, traceId: TRACE_ID, spanId: ROOT_ID, resource: { 'service.name': 'wpr-api', 'service.version': '0.1.0' }, scope: { name: 'worker', version: '' } },
    ]);
  });

  it('answers 400 to a malformed body, 415 to another content type, 404 elsewhere, and keeps no spans from them', async () => {
    const before = receiver.spans().length;
    const requests = receiver.requests();
    // A tag for field 31 with wire type 7, which does not exist (the varint 0xff 0x01 is (31 << 3) | 7).
    expect((await post('/v1/traces', new Uint8Array([0xff, 0x01]), 'application/x-protobuf')).status).toBe(400);
    // Decodes as protobuf, but a span id of 3 bytes is not an OTLP span.
    const badId = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: bytes(TRACE_ID), spanId: bytes('abcdef'), name: 'x' }] }] }] })).finish();
    expect((await post('/v1/traces', badId, 'application/x-protobuf')).status).toBe(400);
    expect((await post('/v1/traces', '{"resourceSpans": [', 'application/json')).status).toBe(400);
    expect((await post('/v1/traces', traceRequest(), 'text/plain')).status).toBe(415);
    expect((await post('/v1/profiles', traceRequest(), 'application/x-protobuf')).status).toBe(404);

    expect(receiver.requests()).toBe(requests + 5);
    expect(receiver.spans()).toHaveLength(before);
    expect(receiver.rejected().map((r) => [r.path, r.status])).toEqual([
      ['/v1/traces', 400],
      ['/v1/traces', 400],
      ['/v1/traces', 400],
      ['/v1/traces', 415],
      ['/v1/profiles', 404],
    ]);
    expect(receiver.rejected()[0]!.error).toMatch(/invalid wire type 7/);
    expect(receiver.rejected()[1]!.error).toMatch(/an id of 8 bytes was "abcdef"/);
  });

  it('waitForSpans rejects with what it got when the spans never come', async () => {
    await expect(receiver.waitForSpans((s) => s.some((x) => x.name === 'never'), 300)).rejects.toThrow(/did not match within 300 ms; received: .*db\.query/);
  });

  it('stops, and can be stopped twice', async () => {
    const other = await startOtlpReceiver();
    await other.stop();
    await other.stop();
    await expect(fetch(`${other.url}/v1/traces`, { method: 'POST' })).rejects.toThrow();
  });
});

describe('startOtlpReceiver with gRPC', () => {
  /** One unary call, as the OTLP/gRPC exporters make it: the method path, protobuf bytes in and out. */
  const exportOverGrpc = (url: string, service: string, body: Uint8Array) =>
    new Promise<{ error: ServiceError | null }>((resolve) => {
      const client = new GrpcClient(new URL(url).host, credentials.createInsecure());
      client.makeUnaryRequest(
        `/${service}/Export`,
        (bytes: Uint8Array) => Buffer.from(bytes),
        (bytes: Buffer) => bytes,
        body,
        (error) => {
          client.close();
          resolve({ error });
        },
      );
    });

  it('decodes the Export methods of the three OTLP gRPC services, and refuses an undecodable request with INVALID_ARGUMENT', async () => {
    const grpc = await startOtlpReceiver({ grpc: true });
    try {
      expect(grpc.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await exportOverGrpc(grpc.grpcUrl!, 'opentelemetry.proto.collector.trace.v1.TraceService', traceRequest())).toEqual({ error: null });
      const spans = await grpc.waitForSpans((s) => s.length >= 2, 2000);
      expect(spans.find((s) => s.name === 'db.query')).toMatchObject({ traceId: TRACE_ID, parentSpanId: ROOT_ID, kind: 'CLIENT' });

      const metric = ExportMetricsServiceRequest.encode(
        ExportMetricsServiceRequest.fromObject({
          resourceMetrics: [{ resource, scopeMetrics: [{ metrics: [{ name: 'registry.publishes', gauge: { dataPoints: [{ asInt: 3, timeUnixNano: String(START) }] } }] }] }],
        }),
      ).finish();
      expect(await exportOverGrpc(grpc.grpcUrl!, 'opentelemetry.proto.collector.metrics.v1.MetricsService', metric)).toEqual({ error: null });
      expect(grpc.metrics().map((m) => [m.name, m.type, m.points[0]?.value])).toEqual([['registry.publishes', 'gauge', 3]]);

      const refused = await exportOverGrpc(grpc.grpcUrl!, 'opentelemetry.proto.collector.trace.v1.TraceService', new Uint8Array([0xff, 0x01]));
      expect(refused.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.error?.details).toMatch(/undecodable request: invalid wire type 7/);
      expect(grpc.requestsBy()).toEqual({ http: 0, grpc: 3 });
      expect(grpc.rejected()).toHaveLength(1);
    } finally {
      await grpc.stop();
    }
  });

  it('has no gRPC endpoint unless asked', () => {
    expect(receiver.grpcUrl).toBeNull();
  });
});
