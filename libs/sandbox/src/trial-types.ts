/**
 * What a trial is asked to do and what it tells: the shapes shared by the sandbox host (in a worker
 * thread), the runner that watches it, the pipeline step that stores a trace, and the API that shows it.
 * A trace is stored as JSON with the version and served as is, so every list in it is bounded
 * (TRIAL_LIMITS) and every string is shortened.
 */

export type AbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

/** One synthetic HTTP request sent through the filter; the response is the stub upstream's. */
export interface SyntheticRequest {
  /** Shown in the trace, e.g. "GET /". */
  name: string;
  method: string;
  path: string;
  /** Request headers besides :method, :path, :authority and :scheme (which the host adds). */
  headers: [name: string, value: string][];
  body: string;
  trailers: [name: string, value: string][];
  response: { status: number; headers: [name: string, value: string][]; body: string; trailers: [name: string, value: string][] };
}

/** How the stub answers a call out to a named upstream (cluster, or gRPC service's cluster). */
export interface StubbedAnswer {
  /** 'failure': the call fails as an unreachable cluster's does (http: proxy_on_http_call_response with 0 headers; grpc: status 14 UNAVAILABLE). */
  kind: 'answer' | 'failure';
  status: number;
  headers: [name: string, value: string][];
  body: string;
}

export interface TrialRequest {
  /** The module's bytes; copied to the trial's thread. */
  module: Uint8Array;
  /** The configurations to call proxy_on_configure with, one root context each; one empty one when a version has none. */
  configurations: { name: string; text: string }[];
  vmConfiguration: string;
  rootId: string;
  /** Defaults (DEFAULT_REQUESTS) when omitted. */
  requests?: SyntheticRequest[];
  /** Answers by upstream name; any other upstream gets a failure. */
  upstreams?: Record<string, StubbedAnswer>;
  limits: TrialLimits;
}

export interface TrialLimits {
  /** Cap on the module's linear memory (its declared maximum is lowered to this, or instantiation refused). */
  memoryMb: number;
  /** Heap of the thread the host runs in (host-side JS objects). */
  heapMb: number;
  /** One callback (or _initialize/_start) running longer is stopped: the thread is terminated. */
  callbackMs: number;
  /** The whole trial, start to cost measurement. */
  trialMs: number;
  /** Timer ticks fired per root context at most. */
  ticks: number;
  /** Synthetic requests timed after warm-up for the cost figures (0: no cost measured). */
  costSamples: number;
}

export type TrialCallback = string; // proxy_on_* or _initialize/_start/main, as the module exports it

export type TrialFailureKind =
  | 'link' // an import the host does not provide, or no ABI marker, or no allocator: Envoy refuses to load it too
  | 'trap' // unreachable, out-of-bounds access, stack overflow, a call to proc_exit …
  | 'timeout' // a callback or the trial passed its deadline
  | 'out_of_memory' // the linear memory cap, or the thread's heap
  | 'bad_signature' // an export whose parameters do not match the ABI it declares (Envoy: "Bad function signature")
  | 'host_error'; // the sandbox itself failed (a bug of ours, reported rather than hidden)

export interface TrialFailure {
  kind: TrialFailureKind;
  /** The callback it happened in; null when not in one (linking). */
  callback: TrialCallback | null;
  message: string;
}

export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
  message: string;
  /** Where it was logged: a callback name. */
  callback: TrialCallback;
}

export type HeaderMapName =
  | 'request_headers'
  | 'request_trailers'
  | 'response_headers'
  | 'response_trailers'
  | 'grpc_receive_initial_metadata'
  | 'grpc_receive_trailing_metadata'
  | 'http_call_response_headers'
  | 'http_call_response_trailers';

export interface HeaderChanges {
  added: [name: string, value: string][];
  replaced: [name: string, from: string, to: string][];
  removed: string[];
}

export interface CallOut {
  kind: 'http' | 'grpc';
  upstream: string;
  /** http: the call's headers (":method", ":path", ":authority" …); grpc: service/method as headers "grpc-service"/"grpc-method" plus initial metadata. */
  headers: [name: string, value: string][];
  body: string;
  timeoutMs: number;
  /** What the stub answered. */
  answer: 'failure' | { status: number };
  /** Callback it was made in. */
  callback: TrialCallback;
}

export interface LocalResponse {
  status: number;
  details: string;
  headers: [name: string, value: string][];
  body: string;
  grpcStatus: number | null;
  callback: TrialCallback;
}

export interface MetricTrace {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter/gauge value at the end; histogram: the values recorded (bounded). */
  value: number;
  recorded: number[];
}

/** The action a callback returned: 0 Continue, 1 Pause (StopIteration), others as named by the spec. */
export type FilterAction = 'Continue' | 'Pause' | 'StopAllIterationAndBuffer' | 'StopAllIterationAndWatermark' | 'StopIteration' | `unknown(${number})`;

export interface CallbackStep {
  callback: TrialCallback;
  /** What it returned, for callbacks that return an action; null for void ones. */
  action: FilterAction | null;
}

export interface RequestTrace {
  name: string;
  /** Callbacks in the order the host called them, with what they returned. */
  steps: CallbackStep[];
  request: { headers: HeaderChanges; bodyChanged: boolean; trailers: HeaderChanges };
  response: { headers: HeaderChanges; bodyChanged: boolean; trailers: HeaderChanges };
  /** Set when the plugin answered itself (proxy_send_local_response): the upstream was never reached. */
  localResponse: LocalResponse | null;
  callsOut: CallOut[];
  /** Metrics changed while this request ran (name → value after it). */
  metrics: MetricTrace[];
  logs: LogLine[];
  /** The request ended: 'completed', 'local_response', 'paused' (never resumed), 'closed' (proxy_close_stream), 'failed'. */
  outcome: 'completed' | 'local_response' | 'paused' | 'closed' | 'failed';
  failure: TrialFailure | null;
}

export interface ConnectionTrace {
  name: string;
  steps: CallbackStep[];
  downstreamDataChanged: boolean;
  upstreamDataChanged: boolean;
  callsOut: CallOut[];
  logs: LogLine[];
  outcome: 'completed' | 'paused' | 'closed' | 'failed';
  failure: TrialFailure | null;
}

export interface ConfigureTrace {
  /** The example's name, or "(empty)". */
  name: string;
  /** What proxy_on_configure returned; null when it never returned (failure) or is not exported (then true is assumed as Envoy does). */
  accepted: boolean | null;
  logs: LogLine[];
  failure: TrialFailure | null;
}

export interface TrialCost {
  /** CPU time per synthetic request after warm-up, in microseconds, in V8 inside the registry. */
  medianMicros: number;
  p95Micros: number;
  samples: number;
  /** Linear memory of the instance after start and configuration, in bytes. */
  memoryBytesAfterStart: number;
  caveat: string;
}

export type TrialFindingCode = 'trial_start_failed' | 'trial_configuration_refused';

export interface TrialFinding {
  code: TrialFindingCode;
  message: string;
}

export interface TrialTrace {
  traceVersion: 1;
  /** What ran it, e.g. { engine: "V8 13.6", abiVersion: "0.2.1" }, and the sentence that this is not Envoy. */
  host: { engine: string; abiVersion: AbiVersion | null; caveat: string };
  filterType: 'http' | 'network' | null;
  start: {
    /** Linked and instantiated: no unknown import, a known ABI, an allocator. */
    linked: boolean;
    unknownImports: string[];
    entryPoint: '_initialize' | '_start' | 'main' | null;
    /** What proxy_on_vm_start returned (null: not exported, or failed). */
    vmStarted: boolean | null;
    logs: LogLine[];
    failure: TrialFailure | null;
  };
  configurations: ConfigureTrace[];
  /** The synthetic traffic, run under the first configuration that was accepted. */
  requests: RequestTrace[];
  connections: ConnectionTrace[];
  /** Timer ticks fired after configuration, and what they did. */
  ticks: { fired: number; callsOut: CallOut[]; logs: LogLine[]; failure: TrialFailure | null };
  sharedData: { key: string; value: string }[];
  /** Metrics at the end of the trial. */
  metrics: MetricTrace[];
  cost: TrialCost | null;
  findings: TrialFinding[];
  /** What was left out of lists at their bound, by list name, and how many host calls were made in all. */
  omitted: Record<string, number>;
  hostCalls: number;
  /** Wall time of the trial in the sandbox, in ms. */
  elapsedMs: number;
}
