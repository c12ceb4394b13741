import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { SCOPE } from './instruments.js';

/**
 * A trace context as W3C Trace Context headers (`traceparent`, `tracestate`): how a publish's trace
 * travels in an outbox row and a queued job to the process that runs its pipeline.
 */
export type TraceCarrier = Record<string, string>;

let enabled = false;

/** Called by startTelemetry when spans are recorded; until then every helper here runs its function bare. */
export function enableTracing(): void {
  enabled = true;
}

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer() {
  return trace.getTracer(SCOPE);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Start under this context instead of the active one (a job carried from another process). */
  parent?: Context;
  /** Other traces this span serves (a batch of jobs from several publishes). */
  links?: Context[];
}

/**
 * Runs `work` in a new active span named `name`; an error thrown marks the span as failed (its class
 * as `error.type`) and is rethrown. With tracing off, runs `work` with no span at all.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | null) => Promise<T>): Promise<T> {
  if (!enabled) return work(null);
  const parent = options.parent ?? context.active();
  const links = (options.links ?? []).flatMap((linked) => {
    const spanContext = trace.getSpanContext(linked);
    return spanContext === undefined ? [] : [{ context: spanContext }];
  });
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span as failed by `error`, without its message (which may name what the caller sent). */
export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.constructor.name : typeof error);
}

/** The active trace context, to store beside work handed to another process; null when tracing is off or no span is active. */
export function currentTraceCarrier(): TraceCarrier | null {
  if (!enabled || trace.getSpan(context.active()) === undefined) return null;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent === undefined ? null : carrier;
}

/** The context a carrier describes (the root context for none), for `SpanOptions.parent`. */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  if (!enabled || carrier === null || carrier === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** trace_id and span_id of the active span, for log lines; null when there is none. */
export function activeTraceIds(): { trace_id: string; span_id: string } | null {
  if (!enabled) return null;
  const span = trace.getSpan(context.active());
  if (span === undefined) return null;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export { SpanKind };
