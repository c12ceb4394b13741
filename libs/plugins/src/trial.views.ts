import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response and request shapes of the trial endpoints (libs/sandbox TrialTrace, CapabilityDiff); openapi.yaml is generated from them. */

const PAIRS = { type: 'array', items: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 } } as const;
const CALLBACK = { type: String, example: 'proxy_on_request_headers', description: 'The callback (or _initialize/_start/main) it happened in.' } as const;

export class TrialSummaryView {
  @ApiProperty({ description: 'Linked, started, and proxy_on_vm_start (if exported) returned true.' })
  started!: boolean;
  @ApiProperty({ description: 'Configurations proxy_on_configure accepted.' })
  configurationsAccepted!: number;
  @ApiProperty({ description: 'Configurations tried: the contract\'s examples, or one empty configuration.' })
  configurationsTried!: number;
  @ApiProperty({ type: [String], enum: ['trial_start_failed', 'trial_configuration_refused'], isArray: true, description: 'Judged by ANALYSIS_POLICY (warn by default).' })
  findings!: string[];
  @ApiProperty({ type: Number, nullable: true, description: 'Median CPU time per synthetic request in the sandbox, µs: compare plugins, not a latency promise.' })
  medianMicros!: number | null;
  @ApiProperty({ type: Number, nullable: true })
  p95Micros!: number | null;
  @ApiProperty({ format: 'date-time' })
  triedAt!: string;
}

export class TrialFailureView {
  @ApiProperty({ enum: ['link', 'trap', 'timeout', 'out_of_memory', 'bad_signature', 'host_error'] })
  kind!: string;
  @ApiProperty({ ...CALLBACK, nullable: true })
  callback!: string | null;
  @ApiProperty()
  message!: string;
}

export class LogLineView {
  @ApiProperty({ enum: ['trace', 'debug', 'info', 'warn', 'error', 'critical'] })
  level!: string;
  @ApiProperty()
  message!: string;
  @ApiProperty(CALLBACK)
  callback!: string;
}

export class TrialStartView {
  @ApiProperty({ description: 'Linked and instantiated: no unknown import, a known ABI, an allocator.' })
  linked!: boolean;
  @ApiProperty({ type: [String], description: '`module.name` of each import the host does not provide (Envoy refuses these too).' })
  unknownImports!: string[];
  @ApiProperty({ enum: ['_initialize', '_start', 'main'], nullable: true })
  entryPoint!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'What proxy_on_vm_start returned; null when not exported or it failed.' })
  vmStarted!: boolean | null;
  @ApiProperty({ type: [LogLineView] })
  logs!: LogLineView[];
  @ApiProperty({ type: TrialFailureView, nullable: true })
  failure!: TrialFailureView | null;
}

export class ConfigureTraceView {
  @ApiProperty({ example: 'default', description: 'The example\'s name, "(empty)", or "yours" in an own trial.' })
  name!: string;
  @ApiProperty({ type: Boolean, nullable: true, description: 'What proxy_on_configure returned; null when it failed.' })
  accepted!: boolean | null;
  @ApiProperty({ type: [LogLineView] })
  logs!: LogLineView[];
  @ApiProperty({ type: TrialFailureView, nullable: true })
  failure!: TrialFailureView | null;
}

export class CallbackStepView {
  @ApiProperty(CALLBACK)
  callback!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Continue', description: 'The action it returned (Continue, Pause …); null for void callbacks.' })
  action!: string | null;
}

export class HeaderChangesView {
  @ApiProperty({ ...PAIRS, description: '[name, value] pairs the plugin added.' })
  added!: [string, string][];
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 }, description: '[name, from, to].' })
  replaced!: [string, string, string][];
  @ApiProperty({ type: [String] })
  removed!: string[];
}

export class MessageChangesView {
  @ApiProperty({ type: HeaderChangesView })
  headers!: HeaderChangesView;
  @ApiProperty()
  bodyChanged!: boolean;
  @ApiProperty({ type: HeaderChangesView })
  trailers!: HeaderChangesView;
}

export class CallOutView {
  @ApiProperty({ enum: ['http', 'grpc'] })
  kind!: string;
  @ApiProperty({ example: 'auth-cluster', description: 'The cluster (upstream) it named. Never sent anywhere: a stub answers.' })
  upstream!: string;
  @ApiProperty(PAIRS)
  headers!: [string, string][];
  @ApiProperty()
  body!: string;
  @ApiProperty()
  timeoutMs!: number;
  @ApiProperty({ oneOf: [{ type: 'string', enum: ['failure'] }, { type: 'object', properties: { status: { type: 'integer' } } }], description: 'What the stub answered.' })
  answer!: 'failure' | { status: number };
  @ApiProperty(CALLBACK)
  callback!: string;
}

export class LocalResponseView {
  @ApiProperty({ example: 401 })
  status!: number;
  @ApiProperty()
  details!: string;
  @ApiProperty(PAIRS)
  headers!: [string, string][];
  @ApiProperty()
  body!: string;
  @ApiProperty({ type: Number, nullable: true })
  grpcStatus!: number | null;
  @ApiProperty(CALLBACK)
  callback!: string;
}

export class MetricTraceView {
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: ['counter', 'gauge', 'histogram'] })
  type!: string;
  @ApiProperty()
  value!: number;
  @ApiProperty({ type: [Number] })
  recorded!: number[];
}

export class RequestTraceView {
  @ApiProperty({ example: 'GET /' })
  name!: string;
  @ApiProperty({ type: [CallbackStepView], description: 'The callbacks in the order the host called them.' })
  steps!: CallbackStepView[];
  @ApiProperty({ type: MessageChangesView })
  request!: MessageChangesView;
  @ApiProperty({ type: MessageChangesView })
  response!: MessageChangesView;
  @ApiProperty({ type: LocalResponseView, nullable: true, description: 'Set when the plugin answered itself: the upstream was never reached.' })
  localResponse!: LocalResponseView | null;
  @ApiProperty({ type: [CallOutView] })
  callsOut!: CallOutView[];
  @ApiProperty({ type: [MetricTraceView] })
  metrics!: MetricTraceView[];
  @ApiProperty({ type: [LogLineView] })
  logs!: LogLineView[];
  @ApiProperty({ enum: ['completed', 'local_response', 'paused', 'closed', 'failed'] })
  outcome!: string;
  @ApiProperty({ type: TrialFailureView, nullable: true })
  failure!: TrialFailureView | null;
}

export class TrialCostView {
  @ApiProperty({ example: 38, description: 'Median CPU time per synthetic request after warm-up, µs, in V8 inside the registry.' })
  medianMicros!: number;
  @ApiProperty()
  p95Micros!: number;
  @ApiProperty()
  samples!: number;
  @ApiProperty({ description: 'Linear memory of the instance after start and configuration.' })
  memoryBytesAfterStart!: number;
  @ApiProperty({ example: 'Measured in V8 inside the registry\'s sandbox, not in your Envoy: compare plugins with each other; it is not a latency promise.' })
  caveat!: string;
}

export class TrialFindingView {
  @ApiProperty({ enum: ['trial_start_failed', 'trial_configuration_refused'] })
  code!: string;
  @ApiProperty()
  message!: string;
}

export class TrialHostView {
  @ApiProperty({ example: 'V8 13.6' })
  engine!: string;
  @ApiProperty({ enum: ['0.1.0', '0.2.0', '0.2.1'], nullable: true })
  abiVersion!: string | null;
  @ApiProperty({ description: 'This host is V8 in the registry with the Proxy-Wasm ABI, not Envoy.' })
  caveat!: string;
}

/** libs/sandbox TrialTrace. */
export class TrialTraceView {
  @ApiProperty({ enum: [1] })
  traceVersion!: 1;
  @ApiProperty({ type: TrialHostView })
  host!: TrialHostView;
  @ApiProperty({ enum: ['http', 'network'], nullable: true })
  filterType!: string | null;
  @ApiProperty({ type: TrialStartView })
  start!: TrialStartView;
  @ApiProperty({ type: [ConfigureTraceView] })
  configurations!: ConfigureTraceView[];
  @ApiProperty({ type: [RequestTraceView], description: 'The synthetic traffic, run under the first configuration accepted.' })
  requests!: RequestTraceView[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Network filters: a connection with downstream and upstream data.' })
  connections!: object[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Timer ticks fired after configuration: { fired, callsOut, logs, failure }.' })
  ticks!: object;
  @ApiProperty({ type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } } })
  sharedData!: { key: string; value: string }[];
  @ApiProperty({ type: [MetricTraceView] })
  metrics!: MetricTraceView[];
  @ApiProperty({ type: TrialCostView, nullable: true })
  cost!: TrialCostView | null;
  @ApiProperty({ type: [TrialFindingView] })
  findings!: TrialFindingView[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Entries left out of lists at their bound, by list name.' })
  omitted!: Record<string, number>;
  @ApiProperty({ description: 'Host calls the module made in all.' })
  hostCalls!: number;
  @ApiProperty({ description: 'Wall time of the trial in the sandbox, ms.' })
  elapsedMs!: number;
}

/** The trial the pipeline ran and stored with the version. */
export class StoredTrialView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  plugin!: string;
  @ApiProperty({ example: '1.0.0' })
  version!: string;
  @ApiProperty({ pattern: '^sha256:[0-9a-f]{64}$' })
  digest!: string;
  @ApiProperty({ format: 'date-time' })
  triedAt!: string;
  @ApiProperty({ type: TrialTraceView })
  trace!: TrialTraceView;
}

export class StubbedAnswerBody {
  @ApiPropertyOptional({ minimum: 100, maximum: 599, default: 200 })
  status?: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Header name (lowercase) → value; or a list of [name, value].' })
  headers?: Record<string, string>;
  @ApiPropertyOptional()
  body?: string;
}

export class TrialRequestBody {
  @ApiPropertyOptional({ example: 'POST', default: 'GET' })
  method?: string;
  @ApiPropertyOptional({ example: '/login', default: '/' })
  path?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Header name (lowercase) → value; or a list of [name, value]. :method, :path, :authority and :scheme are added.' })
  headers?: Record<string, string>;
  @ApiPropertyOptional()
  body?: string;
}

export class OwnTrialBody {
  @ApiPropertyOptional({
    oneOf: [{ type: 'object' }, { type: 'array' }, { type: 'string' }, { type: 'number' }, { type: 'boolean' }],
    description: 'Any JSON value; the plugin receives its JSON text, as the Envoy configuration this registry generates embeds it.',
    example: { header: 'x-api-key' },
  })
  configuration?: unknown;
  @ApiPropertyOptional({ description: 'The configuration text the plugin receives, byte for byte (YAML, plain text …). Instead of configuration.' })
  configurationText?: string;
  @ApiPropertyOptional({ description: 'The name of one of the version\'s examples. Instead of configuration.' })
  example?: string;
  @ApiPropertyOptional({ type: [TrialRequestBody], description: 'Replaces the default synthetic requests (GET /, POST /login, GET /api/orders with a bearer token).' })
  requests?: TrialRequestBody[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string', enum: ['failure'] }, { $ref: '#/components/schemas/StubbedAnswerBody' }] },
    description: 'How the stub answers calls out to each named upstream (cluster); any other upstream answers as an unreachable cluster does.',
  })
  upstreams?: Record<string, StubbedAnswerBody | 'failure'>;
}

export class ImportGroupChangeView {
  @ApiProperty({ example: 'http_calls', description: 'A capability of the analysis, or "other".' })
  group!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: [String] })
  added!: string[];
  @ApiProperty({ type: [String] })
  removed!: string[];
}

export class CapabilityChangeView {
  @ApiProperty({ example: 'http_calls' })
  id!: string;
  @ApiProperty()
  description!: string;
}

export class CapabilityChangesView {
  @ApiProperty({ type: [CapabilityChangeView] })
  gained!: CapabilityChangeView[];
  @ApiProperty({ type: [CapabilityChangeView] })
  lost!: CapabilityChangeView[];
}

export class DiffChangeView {
  @ApiProperty({ example: 'upstream_added' })
  kind!: string;
  @ApiProperty({ description: 'True when the upgrade lets the plugin do more.' })
  widens!: boolean;
  @ApiProperty({ example: 'now calls upstream auth-cluster (http)' })
  summary!: string;
}

/** libs/sandbox CapabilityDiff. */
export class CapabilityDiffView {
  @ApiProperty({ example: '1.0.0' })
  from!: string;
  @ApiProperty({ example: '1.1.0' })
  to!: string;
  @ApiProperty({ type: [ImportGroupChangeView], description: 'Groups whose imports changed, grouped as the analysis groups capabilities.' })
  imports!: ImportGroupChangeView[];
  @ApiProperty({ type: CapabilityChangesView })
  capabilities!: CapabilityChangesView;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'From the two trials: upstreams, headers, bodies, local responses, metrics, shared data, start, cost and memory; null when either version has no trial.',
  })
  behaviour!: object | null;
  @ApiProperty({ type: String, nullable: true })
  behaviourNote!: string | null;
  @ApiProperty({ type: [DiffChangeView], description: 'One line per change, widening ones first.' })
  changes!: DiffChangeView[];
  @ApiProperty()
  summary!: string;
  @ApiProperty({ type: [String] })
  caveats!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  omitted!: Record<string, number>;
}
