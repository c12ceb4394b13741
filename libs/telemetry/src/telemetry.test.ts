import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { HTTP_SERVER_DURATION } from './hot-histogram.js';
import { instruments } from './instruments.js';
import { otlpProtocol, samplerFrom, startTelemetry } from './telemetry.js';
import { currentTraceCarrier, inSpan, tracingEnabled } from './tracing.js';

describe('startTelemetry without an OTLP endpoint', () => {
  it('keeps metrics for /metrics, exports nothing and records no spans', async () => {
    const telemetry = await startTelemetry('wasm-registry-api', '1.2.3', { OTEL_SERVICE_NAME: undefined });
    expect({ tracing: telemetry.tracing, metricsOverOtlp: telemetry.metricsOverOtlp, tracingEnabled: tracingEnabled() }).toEqual({
      tracing: false,
      metricsOverOtlp: false,
      tracingEnabled: false,
    });
    // inSpan runs the work bare: no span, nothing to carry to another process.
    expect(await inSpan('x', {}, async (span) => ({ span, carrier: currentTraceCarrier(), active: trace.getActiveSpan() }))).toEqual({ span: null, carrier: null, active: undefined });
    // The same object the second time: one set-up per process.
    expect(await startTelemetry('wasm-registry-api', '1.2.3', {})).toBe(telemetry);

    const metrics = instruments();
    metrics.downloads.add('digest');
    metrics.downloads.add('digest');
    metrics.downloads.add('oci');
    const attributes = () => ({ 'http.request.method': 'GET', 'http.route': '/api/v1/blobs/:digest', 'http.response.status_code': 200 });
    HTTP_SERVER_DURATION.record('/api/v1/blobs/:digest', 200, attributes, 0.003);
    HTTP_SERVER_DURATION.record('/api/v1/blobs/:digest', 200, attributes, 0.2);
    const text = await telemetry.prometheusText();
    expect(text).toMatch(/^registry_downloads_total\{registry_download_route="digest"[^}]*\} 2$/m);
    expect(text).toMatch(/^registry_downloads_total\{registry_download_route="oci"[^}]*\} 1$/m);
    expect(text).toMatch(/^# TYPE registry_downloads_total counter$/m);
    const bucket = (le: string) => new RegExp(`^http_server_request_duration_bucket\\{[^}]*http_route="/api/v1/blobs/:digest"[^}]*le="${le.replace("+", "\\+")}"\\} (\\d+)$`, 'm').exec(text)?.[1];
    expect([bucket('0.005'), bucket('0.1'), bucket('0.25'), bucket('+Inf')]).toEqual(['1', '1', '2', '2']);
    expect(text).toMatch(/^http_server_request_duration_count\{[^}]*\} 2$/m);
    expect(text).toMatch(/^http_server_request_duration_sum\{[^}]*\} 0\.203$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="wasm-registry-api"[^}]*service_version="1.2.3"/m);
  });
});

describe('samplerFrom', () => {
  it('follows OTEL_TRACES_SAMPLER, parent-based always-on by default', () => {
    expect(samplerFrom({}).toString()).toBe(new ParentBasedSampler({ root: new AlwaysOffSampler() }).toString().replace('AlwaysOffSampler', 'AlwaysOnSampler'));
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'always_off' })).toBeInstanceOf(AlwaysOffSampler);
    const ratio = samplerFrom({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    expect(ratio).toBeInstanceOf(TraceIdRatioBasedSampler);
    expect(ratio.toString()).toContain('0.25');
    // An argument out of range is not trusted: every trace is kept.
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }).toString()).toContain('{1}');
  });
});

describe('otlpProtocol', () => {
  it('takes the signal’s own variable first, then the general one, and http/protobuf by default', () => {
    expect(otlpProtocol({}, 'TRACES')).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'TRACES')).toBe('grpc');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' }, 'METRICS')).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' grpc ' }, 'TRACES')).toBe('grpc');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'METRICS')).toBe('http/protobuf');
  });
});
