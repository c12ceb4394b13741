import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { randomUUID } from 'node:crypto';
import { enableTracing } from './tracing.js';
import { HTTP_SERVER_DURATION } from './hot-histogram.js';

/** Which process reports: the service.name of its traces and metrics (OTEL_SERVICE_NAME overrides it). */
export type TelemetryService = 'wasm-registry-api' | 'wasm-registry-worker';

export interface Telemetry {
  /** Whether spans are recorded and exported (OTLP configured); when false, spans cost a no-op call. */
  readonly tracing: boolean;
  /** Whether metrics are also pushed over OTLP, beside the Prometheus text. */
  readonly metricsOverOtlp: boolean;
  /** The current metrics in the Prometheus text format (0.0.4). */
  prometheusText(): Promise<string>;
  /** Exports what is buffered and stops; safe to call twice. */
  shutdown(): Promise<void>;
}

/** The Prometheus text exposition format's media type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Collects on demand, for /metrics: the Prometheus pull model, without the exporter's own HTTP server. */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, metricProducers: [HTTP_SERVER_DURATION] });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let started: Telemetry | null = null;

/** The telemetry startTelemetry set up; null before. */
export function currentTelemetry(): Telemetry | null {
  return started;
}

/**
 * Sets up OpenTelemetry for this process, once, before the application is built. Metrics are
 * always kept (for /metrics); OTLP export of traces and metrics follows the standard variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT or the per-signal _TRACES_/_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL
 * (and per signal), OTEL_TRACES_EXPORTER /
 * OTEL_METRICS_EXPORTER (`none` turns one off), OTEL_TRACES_SAMPLER(_ARG), OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED. Without an endpoint nothing is exported and no
 * tracer provider is installed, so instrumented code pays for a no-op span only.
 */
export async function startTelemetry(service: TelemetryService, version: string, env: Readonly<Record<string, string | undefined>>): Promise<Telemetry> {
  if (started !== null) return started;
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const endpoint = (signal: 'TRACES' | 'METRICS'): boolean =>
    Boolean(env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
  const wanted = (signal: 'TRACES' | 'METRICS'): boolean => (env[`OTEL_${signal}_EXPORTER`]?.trim().toLowerCase() ?? 'otlp') !== 'none';
  const tracing = !disabled && endpoint('TRACES') && wanted('TRACES');
  const metricsOverOtlp = !disabled && endpoint('METRICS') && wanted('METRICS');

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES take precedence over ours.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, [ATTR_SERVICE_VERSION]: version, 'service.instance.id': randomUUID() }).merge(
    detectResources({ detectors: [envDetector] }),
  );

  const pull = new PullReader();
  const readers: IMetricReader[] = [pull];
  if (metricsOverOtlp) {
    // Loaded only when used: the exporters pull in protobuf code the default start does without.
    const { OTLPMetricExporter } =
      otlpProtocol(env, 'METRICS') === 'grpc' ? await import('@opentelemetry/exporter-metrics-otlp-grpc') : await import('@opentelemetry/exporter-metrics-otlp-proto');
    const { PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        metricProducers: [HTTP_SERVER_DURATION],
        ...(Number.isInteger(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  let tracerProvider: TracerProvider | null = null;
  if (tracing) {
    const { OTLPTraceExporter } =
      otlpProtocol(env, 'TRACES') === 'grpc' ? await import('@opentelemetry/exporter-trace-otlp-grpc') : await import('@opentelemetry/exporter-trace-otlp-proto');
    tracerProvider = new TracerProvider({ resource, sampler: samplerFrom(env), spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptions(env) })] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(tracerProvider);
    enableTracing();
    // Prisma's own spans (operations and the SQL statements under them), on PostgreSQL and PGlite alike.
    const [{ registerInstrumentations }, { PrismaInstrumentation }] = await Promise.all([
      import('@opentelemetry/instrumentation'),
      import('@prisma/instrumentation'),
    ]);
    registerInstrumentations({ tracerProvider, instrumentations: [new PrismaInstrumentation({ ignoreSpanTypes: [/prisma:engine:connection/] })] });
  }

  const serializer = new PrometheusSerializer(undefined, false);
  let stopped: Promise<void> | null = null;
  started = {
    tracing,
    metricsOverOtlp,
    async prometheusText() {
      const { resourceMetrics, errors } = await pull.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
      return serializer.serialize(resourceMetrics);
    },
    shutdown() {
      stopped ??= Promise.allSettled([meterProvider.shutdown(), tracerProvider?.shutdown()]).then(() => undefined);
      return stopped;
    },
  };
  return started;
}

/**
 * OTEL_EXPORTER_OTLP_{signal}_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL: `grpc` (a collector's port 4317)
 * or `http/protobuf` (4318, the default). The configuration refuses any other value before this runs.
 */
export function otlpProtocol(env: Readonly<Record<string, string | undefined>>, signal: 'TRACES' | 'METRICS'): 'grpc' | 'http/protobuf' {
  const given = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`]?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  return given === 'grpc' ? 'grpc' : 'http/protobuf';
}

/** OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_EXPORT_TIMEOUT, where given. */
function batchOptions(env: Readonly<Record<string, string | undefined>>): { scheduledDelayMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number; exportTimeoutMillis?: number } {
  const whole = (name: string): number | undefined => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const options = {
    scheduledDelayMillis: whole('OTEL_BSP_SCHEDULE_DELAY'),
    maxQueueSize: whole('OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: whole('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    exportTimeoutMillis: whole('OTEL_BSP_EXPORT_TIMEOUT'),
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** OTEL_TRACES_SAMPLER as the specification lists it; parent-based, always on, by default. */
export function samplerFrom(env: Readonly<Record<string, string | undefined>>): Sampler {
  const ratio = (): number => {
    const value = Number(env.OTEL_TRACES_SAMPLER_ARG);
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
  };
  switch (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export type { Resource };
