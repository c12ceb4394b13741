// What the registry tells about itself: OpenTelemetry traces and metrics (OTLP when configured), the Prometheus text for /metrics, and JSON log lines that carry the active trace.
export { startTelemetry, currentTelemetry, samplerFrom, PROMETHEUS_CONTENT_TYPE, type Telemetry, type TelemetryService } from './src/telemetry.js';
export { instruments, RegistryInstruments, Tally, HTTP_DURATION_BUCKETS, STEP_DURATION_BUCKETS, SCOPE } from './src/instruments.js';
export {
  inSpan,
  failSpan,
  currentTraceCarrier,
  contextFromCarrier,
  activeTraceIds,
  tracingEnabled,
  tracer,
  SpanKind,
  type SpanOptions,
  type TraceCarrier,
} from './src/tracing.js';
export { HotHistogram, HTTP_SERVER_DURATION } from './src/hot-histogram.js';
export { JsonLogger, redactSecrets, type LogLevelName } from './src/json-logger.js';
