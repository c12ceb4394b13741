import { ABI_MARKERS, cppHostImport, parseWasm } from '../../analysis/index.js';
import {
  CALLBACK_SHAPES,
  GRPC_UNAVAILABLE,
  HTTP_CALLBACKS,
  NETWORK_CALLBACKS,
  PeerType,
  type ActionKind,
  filterActionName,
  stopsIteration,
} from './abi.js';
import { DEFAULT_REQUESTS, SYNTHETIC_AUTHORITY } from './default-requests.js';
import { MemoryFault } from './module-memory.js';
import { GRPC_FAILURE_MESSAGE, HostTrap, MAX_PENDING, type Pairs, ProxyWasmHost, type StreamState, boundPairs } from './proxy-wasm-host.js';
import { TRACE_BOUNDS } from './trial-limits.js';
import type {
  AbiVersion,
  CallbackStep,
  ConfigureTrace,
  ConnectionTrace,
  HeaderChanges,
  MetricTrace,
  RequestTrace,
  SyntheticRequest,
  TrialCallback,
  TrialFailure,
  TrialFinding,
  TrialRequest,
  TrialTrace,
} from './trial-types.js';
import { Wasm, type WasmInstance, type WasmMemory, type WasmModule } from './wasm-api.js';
import { VOID_WASI, WASI_SIGNATURES, WasiImports } from './wasi-imports.js';
import { WASI_MODULES } from '../../analysis/index.js';

/**
 * One trial of a Proxy-Wasm module, synchronously, in whatever thread calls it: link and start it as Envoy's
 * C++ host would, configure it, send it synthetic traffic, fire its timers, measure its cost, and tell what it
 * did (TrialTrace). Time, memory and thread limits are the caller's (the runner in trial-runner.ts): it is told
 * before every call into the module (watch.enter) and gets the trace so far after every step (watch.checkpoint),
 * so that a thread it terminates still leaves a trace, completed by failTrace.
 */

export interface TrialPosition {
  section: 'start' | 'configurations' | 'requests' | 'connections' | 'ticks' | 'cost';
  index: number;
}

export interface TrialWatch {
  /** Before every call into the module. */
  enter(callback: string, at: TrialPosition): void;
  /** After it returned or threw. */
  leave(): void;
  /** Before and after each item of the trial (the start, a configuration, a request …): the trace so far. */
  checkpoint(trace: TrialTrace): void;
}

export const HOST_CAVEAT =
  "This is the registry's sandbox (V8 with a Proxy-Wasm host written after proxy-wasm-cpp-host), not Envoy: a module can behave differently in your proxy.";
export const COST_CAVEAT =
  "Measured in V8 inside the registry's sandbox, not in your Envoy: compare plugins with each other; it is not a latency promise.";

const WARM_UP_PASSES = 5;
const VM_CONTEXT_ID = 0;
const MIB = 1024 * 1024;
const WASM_PAGE = 65536;
const UNKNOWN_IMPORTS_LISTED = 100;
const CONNECTION_DATA = {
  downstream: 'GET / HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: curl/8.5.0\r\n\r\n',
  upstream: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok',
};

export function performTrial(request: TrialRequest, watch: TrialWatch): TrialTrace {
  const trial = new Trial(request, watch);
  try {
    return trial.run();
  } catch (error) {
    // Whatever the module does ends as a failure inside the trace; reaching here is a bug of the host's.
    const trace = failTrace(trial.trace, trial.at, { kind: 'host_error', callback: null, message: messageOf(error) });
    watch.checkpoint(trace);
    return trace;
  }
}

/** The trace before anything ran: what a trial starts from, and where a failure goes when none was handed over. */
export function unstartedTrace(): TrialTrace {
  return {
    traceVersion: 1,
    host: { engine: `V8 ${process.versions.v8}`, abiVersion: null, caveat: HOST_CAVEAT },
    filterType: null,
    start: { linked: false, unknownImports: [], entryPoint: null, vmStarted: null, logs: [], failure: null },
    configurations: [],
    requests: [],
    connections: [],
    ticks: { fired: 0, callsOut: [], logs: [], failure: null },
    sharedData: [],
    metrics: [],
    cost: null,
    findings: [],
    omitted: {},
    hostCalls: 0,
    elapsedMs: 0,
  };
}

/** Places a failure the runner saw (a timeout, memory exhausted, the thread gone) at the position it happened. */
export function failTrace(trace: TrialTrace, at: TrialPosition, failure: TrialFailure): TrialTrace {
  const next = structuredClone(trace);
  const placeholder = `#${at.index + 1}`;
  switch (at.section) {
    case 'start':
      next.start.failure = failure;
      break;
    case 'configurations': {
      const item = (next.configurations[at.index] ??= { name: placeholder, accepted: null, logs: [], failure: null });
      item.accepted = null;
      item.failure = failure;
      break;
    }
    case 'requests': {
      const item = (next.requests[at.index] ??= emptyRequestTrace(placeholder));
      item.outcome = 'failed';
      item.failure = failure;
      break;
    }
    case 'connections': {
      const item = (next.connections[at.index] ??= emptyConnectionTrace(placeholder));
      item.outcome = 'failed';
      item.failure = failure;
      break;
    }
    case 'ticks':
      next.ticks.failure = failure;
      break;
    case 'cost':
      next.cost = null;
      break;
  }
  next.findings = trialFindings(next);
  return next;
}

/** trial_start_failed and trial_configuration_refused, from what a trace tells. */
export function trialFindings(trace: TrialTrace): TrialFinding[] {
  const findings: TrialFinding[] = [];
  const { start } = trace;
  if (!start.linked || start.failure || start.vmStarted === false) {
    const why = start.failure
      ? `${start.failure.kind}${start.failure.callback ? ` in ${start.failure.callback}` : ''}: ${start.failure.message}`
      : 'proxy_on_vm_start returned false';
    findings.push({ code: 'trial_start_failed', message: `The module did not start in the sandbox (${why}).` });
    return findings;
  }
  const tried = trace.configurations;
  if (tried.length > 0 && tried.every((c) => c.failure !== null || c.accepted === false)) {
    const reasons = tried.map((c) =>
      c.failure ? `"${c.name}": ${c.failure.kind} in ${c.failure.callback ?? 'the host'}` : `"${c.name}": refused`,
    );
    findings.push({
      code: 'trial_configuration_refused',
      message: `Every configuration tried was refused or failed (${reasons.join('; ')}); Envoy would refuse the listener.`,
    });
  }
  return findings;
}

function emptyRequestTrace(name: string): RequestTrace {
  const noChanges = (): HeaderChanges => ({ added: [], replaced: [], removed: [] });
  return {
    name,
    steps: [],
    request: { headers: noChanges(), bodyChanged: false, trailers: noChanges() },
    response: { headers: noChanges(), bodyChanged: false, trailers: noChanges() },
    localResponse: null,
    callsOut: [],
    metrics: [],
    logs: [],
    outcome: 'completed',
    failure: null,
  };
}

function emptyConnectionTrace(name: string): ConnectionTrace {
  return {
    name,
    steps: [],
    downstreamDataChanged: false,
    upstreamDataChanged: false,
    callsOut: [],
    logs: [],
    outcome: 'completed',
    failure: null,
  };
}

type CallResult = { ok: true; value: number | null; exported: boolean } | { ok: false; failure: TrialFailure };

const utf8 = new TextEncoder();

class Trial {
  readonly trace: TrialTrace;
  private readonly began = performance.now();
  private host!: ProxyWasmHost;
  private exports: Record<string, unknown> = {};
  private abi: AbiVersion | null = null;
  at: TrialPosition = { section: 'start', index: 0 };
  private nextContextId = 1;
  /** Steps of the item running now, where delivered answers are listed too. */
  private steps: CallbackStep[] | null = null;

  constructor(
    private readonly request: TrialRequest,
    private readonly watch: TrialWatch,
  ) {
    this.trace = unstartedTrace();
  }

  run(): TrialTrace {
    this.checkpoint();
    const rootId = this.start();
    if (rootId !== null) {
      const memoryAfterStart = { bytes: 0 };
      const trafficRoot = this.configure(rootId, memoryAfterStart);
      if (trafficRoot !== null) {
        if (this.trace.filterType === 'http') this.sendRequests(trafficRoot);
        if (this.hasAny(NETWORK_CALLBACKS)) this.openConnections(trafficRoot);
      }
      this.fireTicks();
      // The state the trace shows is the trial's, before the cost passes repeat the first request many times.
      this.recordState();
      if (trafficRoot !== null) this.measureCost(trafficRoot, memoryAfterStart.bytes);
    } else this.recordState();
    this.finish();
    this.watch.checkpoint(this.trace);
    return this.trace;
  }

  private checkpoint(): void {
    this.trace.hostCalls = this.host?.hostCalls ?? 0;
    this.trace.elapsedMs = Math.round(performance.now() - this.began);
    this.trace.findings = trialFindings(this.trace);
    this.watch.checkpoint(this.trace);
  }

  private recordState(): void {
    const host = this.host;
    if (host) {
      const entries = [...host.sharedData.entries()];
      this.trace.sharedData = entries.slice(0, TRACE_BOUNDS.sharedData).map(([key, { value }]) => ({
        key: shortText(key, TRACE_BOUNDS.headerNameBytes),
        value: shortText(Buffer.from(value).toString('utf8'), TRACE_BOUNDS.headerValueBytes),
      }));
      if (entries.length > TRACE_BOUNDS.sharedData) this.omit('sharedData', entries.length - TRACE_BOUNDS.sharedData);
      this.trace.metrics = host.metricList();
      if (host.metrics.size > TRACE_BOUNDS.metrics) this.omit('metrics', host.metrics.size - TRACE_BOUNDS.metrics);
    }
  }

  private finish(): void {
    this.trace.hostCalls = this.host?.hostCalls ?? 0;
    this.trace.elapsedMs = Math.round(performance.now() - this.began);
    this.trace.findings = trialFindings(this.trace);
  }

  private omit(list: string, count = 1): void {
    this.trace.omitted[list] = (this.trace.omitted[list] ?? 0) + count;
  }

  // ---- 1. link and start -------------------------------------------------------------------------------

  /** Links, instantiates, runs _initialize/_start and proxy_on_vm_start; the root context's id, or null. */
  private start(): number | null {
    const { trace, request } = this;
    const start = trace.start;
    const linkFailure = (message: string): null => {
      start.failure = { kind: 'link', callback: null, message };
      this.checkpoint();
      return null;
    };
    let module: WasmModule;
    try {
      module = new Wasm.Module(request.module);
    } catch (error) {
      return linkFailure(`Failed to load Wasm module: ${messageOf(error)}`);
    }
    const parsed = parseWasm(request.module);
    // The ABI version: the first function export naming a known one (bytecode_util.cc getAbiVersion).
    const marker = parsed.exports.find((e) => e.kind === 'function' && Object.hasOwn(ABI_MARKERS, e.name));
    this.abi = marker ? (ABI_MARKERS[marker.name] as AbiVersion) : null;
    trace.host.abiVersion = this.abi;
    const exported = new Set(parsed.exports.map((e) => e.name));
    trace.filterType = HTTP_CALLBACKS.some((n) => exported.has(n))
      ? 'http'
      : NETWORK_CALLBACKS.some((n) => exported.has(n))
        ? 'network'
        : null;

    this.host = new ProxyWasmHost({
      abi: this.abi ?? '0.2.1',
      rootId: request.rootId,
      vmConfiguration: request.vmConfiguration,
      upstreams: request.upstreams ?? {},
      omitted: trace.omitted,
    });
    const host = this.host;
    // Calls out of root contexts (at start, configuration and ticks) are all listed with the ticks: the trace has
    // no other place for them, and each names the callback it was made in.
    host.section = { logs: start.logs, callsOut: trace.ticks.callsOut, discard: false };
    const wasi = new WasiImports({ memory: host.memory, log: (level, message) => host.log(level, message) });
    const wasiFunctions = Object.fromEntries(
      Object.entries(wasi.functions()).map(([name, fn]) => [name, host.guard(`wasi_snapshot_preview1.${name}`, fn as never, 21)]),
    );
    const env: Record<string, unknown> = host.imports();

    // Every import the C++ host would not link, named as the analysis names them.
    const unknown: string[] = [];
    const mismatched: string[] = [];
    const imports: Record<string, Record<string, unknown>> = { env };
    for (const name of WASI_MODULES) imports[name] = wasiFunctions;
    for (const entry of parsed.imports) {
      const key = `${entry.module}.${entry.name}`;
      if (cppHostImport(entry, this.abi).status !== 'provided') {
        unknown.push(key);
        continue;
      }
      if (entry.kind === 'memory' || entry.kind === 'table') {
        // The C++ host creates imported memories and tables itself, with the module's limits.
        try {
          (imports[entry.module] ??= {})[entry.name] = entry.memory
            ? this.importedMemory(entry.memory)
            : new Wasm.Table({ element: 'anyfunc', initial: entry.table!.limits.initial, maximum: entry.table!.limits.maximum ?? undefined });
        } catch (error) {
          return linkFailure(`Failed to load Wasm module: ${key}: ${messageOf(error)}`);
        }
      } else if (entry.kind === 'function' && entry.typeIndex !== null) {
        const type = parsed.types[entry.typeIndex];
        const want = type ? `${type.params.join(' ')} -> ${type.results.join(' ')}`.trim() : '?';
        const has = entry.module === 'env' ? host.signatureOf(entry.name) : wasiSignature(entry.name);
        if (has !== null && want !== has) mismatched.push(`${key}, want: ${want}, but host exports: ${has}`);
      }
    }
    start.unknownImports = unknown.slice(0, UNKNOWN_IMPORTS_LISTED);
    if (unknown.length > UNKNOWN_IMPORTS_LISTED) this.omit('unknownImports', unknown.length - UNKNOWN_IMPORTS_LISTED);
    if (!this.abi) return linkFailure('Missing or unknown Proxy-Wasm ABI version');
    if (unknown.length > 0) {
      return linkFailure(shortText(`Failed to load Wasm module due to a missing import: ${unknown.join(', ')}`, TRACE_BOUNDS.logMessageBytes));
    }
    if (mismatched.length > 0) return linkFailure(`Failed to load Wasm module due to an import type mismatch: ${mismatched[0]}`);

    // Callback shapes: cpp-host's getFunction refuses an export whose type differs from the one it calls.
    const shapes = CALLBACK_SHAPES[this.abi];
    const importedFunctions = parsed.imports.filter((i) => i.kind === 'function');
    for (const e of parsed.exports) {
      const shape = shapes[e.name];
      if (!shape || e.kind !== 'function') continue;
      const typeIndex =
        e.index < importedFunctions.length ? importedFunctions[e.index]!.typeIndex : parsed.functionTypeIndices[e.index - importedFunctions.length];
      const type = typeIndex === null || typeIndex === undefined ? null : parsed.types[typeIndex];
      const fits =
        type &&
        type.params.length === shape.params &&
        type.params.every((p) => p === 'i32') &&
        type.results.length === (shape.returns ? 1 : 0) &&
        type.results.every((r) => r === 'i32');
      if (!fits) {
        start.failure = { kind: 'bad_signature', callback: e.name, message: `Bad function signature for: ${e.name}` };
        this.checkpoint();
        return null;
      }
    }

    let instance: WasmInstance;
    host.callback = '(instantiate)';
    this.watch.enter('(instantiate)', this.at);
    try {
      instance = new Wasm.Instance(module, imports);
    } catch (error) {
      this.watch.leave();
      if (error instanceof Wasm.LinkError) return linkFailure(`Failed to load Wasm module: ${error.message}`);
      start.failure = this.failureOf(error, null);
      this.checkpoint();
      return null;
    }
    this.watch.leave();
    this.exports = instance.exports as Record<string, unknown>;
    const memory =
      this.exports.memory instanceof Wasm.Memory
        ? this.exports.memory
        : (Object.values(imports).flatMap((m) => Object.values(m)).find((v) => v instanceof Wasm.Memory) as WasmMemory | undefined) ?? null;
    // The allocator, in the C++ host's order (wasm.cc getFunctions): malloc, else proxy_on_memory_allocate.
    const allocator = (this.fn('malloc') ?? this.fn('proxy_on_memory_allocate')) as ((size: number) => unknown) | null;
    if (!allocator) return linkFailure('Wasm module is missing malloc function.');
    host.memory.bind(memory, allocator);
    wasi.bind(memory);
    start.linked = true;

    // WASI reactor (_initialize, then main(0, 0) or __main_void) or command (_start); only logging and WASI allowed.
    host.restricted = true;
    host.createContext(VM_CONTEXT_ID, null); // what _initialize/_start run in (the C++ host's VM context)
    const entry = this.fn('_initialize') ? '_initialize' : this.fn('_start') ? '_start' : null;
    start.entryPoint = entry;
    // A process killed in what follows (a deadline, a full heap) still shows that the module linked.
    this.checkpoint();
    if (entry) {
      const results = [this.call(entry, [], VM_CONTEXT_ID)];
      if (entry === '_initialize' && results[0]!.ok) {
        if (this.fn('main')) {
          start.entryPoint = 'main';
          results.push(this.call('main', [0, 0], VM_CONTEXT_ID));
        } else if (this.fn('__main_void')) results.push(this.call('__main_void', [], VM_CONTEXT_ID));
      }
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) {
        host.restricted = false;
        start.failure = failed.failure;
        this.checkpoint();
        return null;
      }
    }
    host.restricted = false;

    const rootId = this.newContext(null);
    const created = this.call('proxy_on_context_create', [rootId, 0], rootId);
    const started = created.ok ? this.call('proxy_on_vm_start', [rootId, utf8.encode(request.vmConfiguration).length], rootId) : created;
    if (!started.ok) {
      start.failure = started.failure;
      this.checkpoint();
      return null;
    }
    start.vmStarted = started.exported ? started.value !== 0 : null;
    start.failure = this.settle(rootId);
    this.checkpoint();
    if (start.failure) return null;
    return start.vmStarted === false ? null : rootId;
  }

  /** An imported memory, its maximum lowered to the trial's cap (the runner's capMemory sees only defined memories). */
  private importedMemory(limits: { initial: number; maximum: number | null; shared: boolean }): WasmMemory {
    const capPages = Math.floor((this.request.limits.memoryMb * MIB) / WASM_PAGE);
    if (limits.initial > capPages) throw new Error(`its initial size (${limits.initial} pages) is over the cap of ${capPages} pages`);
    return new Wasm.Memory({ initial: limits.initial, maximum: Math.min(limits.maximum ?? capPages, capPages), shared: limits.shared });
  }

  // ---- configuration -------------------------------------------------------------------------------

  /** proxy_on_configure with each configuration, each in its own root context; the first accepting root's id. */
  private configure(firstRootId: number, memory: { bytes: number }): number | null {
    const { request, trace, host } = this;
    const configurations = request.configurations.length > 0 ? request.configurations : [{ name: '(empty)', text: '' }];
    let accepting: number | null = null;
    for (const [index, configuration] of configurations.entries()) {
      this.at = { section: 'configurations', index };
      const item: ConfigureTrace = { name: configuration.name || '(empty)', accepted: null, logs: [], failure: null };
      trace.configurations.push(item);
      this.checkpoint();
      host.section = { logs: item.logs, callsOut: trace.ticks.callsOut, discard: false };
      const size = utf8.encode(configuration.text).length;
      let rootId = firstRootId;
      let result: CallResult;
      if (index === 0) {
        host.contexts.get(rootId)!.configuration = utf8.encode(configuration.text);
        result = this.call('proxy_on_configure', [rootId, size], rootId);
      } else {
        // Another plugin on the same VM: its own root context, started and configured (wasm.cc start()).
        rootId = this.newContext(null, configuration.text);
        result = this.call('proxy_on_context_create', [rootId, 0], rootId);
        if (result.ok) result = this.call('proxy_on_vm_start', [rootId, utf8.encode(request.vmConfiguration).length], rootId);
        if (result.ok && result.exported && result.value === 0) result = { ok: true, value: 0, exported: true };
        else if (result.ok) result = this.call('proxy_on_configure', [rootId, size], rootId);
      }
      if (result.ok) {
        item.accepted = result.exported ? result.value !== 0 : null;
        const settled = this.settle(rootId);
        if (settled) item.failure = settled;
      } else item.failure = result.failure;
      if (accepting === null && item.failure === null && item.accepted !== false) accepting = rootId;
      this.checkpoint();
    }
    memory.bytes = host.memory.size;
    return accepting;
  }

  // ---- 2. traffic ------------------------------------------------------------------------------------

  private sendRequests(rootId: number): void {
    const requests = (this.request.requests ?? DEFAULT_REQUESTS).slice(0, TRACE_BOUNDS.requests);
    if ((this.request.requests?.length ?? 0) > TRACE_BOUNDS.requests) this.omit('requests', this.request.requests!.length - TRACE_BOUNDS.requests);
    for (const [index, synthetic] of requests.entries()) {
      this.at = { section: 'requests', index };
      const item = emptyRequestTrace(shortText(synthetic.name, TRACE_BOUNDS.headerValueBytes));
      this.trace.requests.push(item);
      this.checkpoint();
      this.runRequest(synthetic, rootId, item, true);
      this.checkpoint();
    }
  }

  /** One request through the filter, as Envoy's HTTP filter chain drives a Proxy-Wasm filter. */
  private runRequest(synthetic: SyntheticRequest, rootId: number, item: RequestTrace, recording: boolean): void {
    const { host } = this;
    const abi01 = this.abi === '0.1.0';
    const contextId = this.newContext(rootId);
    const requestHeaders: Pairs = [
      [':authority', SYNTHETIC_AUTHORITY],
      [':path', synthetic.path],
      [':method', synthetic.method],
      [':scheme', 'https'],
      ...synthetic.headers.map(([k, v]): [string, string] => [k.toLowerCase(), v]),
    ];
    const stream: StreamState = {
      request: synthetic,
      maps: [requestHeaders, synthetic.trailers.map(([k, v]): [string, string] => [k.toLowerCase(), v]), null, null],
      buffers: { request_body: utf8.encode(synthetic.body) },
      continued: new Set(),
      closed: false,
      localResponse: null,
    };
    host.contexts.get(contextId)!.stream = stream;
    const original = { headers: clonePairs(stream.maps[0]!), trailers: clonePairs(stream.maps[1]!), body: stream.buffers.request_body! };
    host.section = { logs: item.logs, callsOut: item.callsOut, discard: !recording };
    this.steps = item.steps;
    const metricsBefore = recording ? host.metricValues() : null;

    // Runs one callback and delivers what it asked for; false when the request cannot go on (failure, local
    // response, closed, headers held). Held body or trailers let the next callback run, as Envoy buffers them.
    let paused = false;
    const step = (name: string, args: number[], side: 'request' | 'response', kind: ActionKind): boolean => {
      stream.continued.clear();
      const result = this.call(name, args, contextId);
      if (!result.ok) {
        item.failure = result.failure;
        item.outcome = 'failed';
        return false;
      }
      if (result.exported) {
        this.step(item.steps, { callback: name, action: filterActionName(result.value ?? 0, kind) });
        paused = stopsIteration(result.value ?? 0, kind);
      }
      const failure = this.settle(rootId);
      if (failure) {
        item.failure = failure;
        item.outcome = 'failed';
        return false;
      }
      if (stream.continued.has(side)) paused = false;
      if (stream.closed) {
        item.outcome = 'closed';
        return false;
      }
      if (stream.localResponse !== null) return false;
      if (kind === 'headers' && paused) {
        item.outcome = 'paused';
        return false;
      }
      return true;
    };

    const created = this.call('proxy_on_context_create', [contextId, rootId], contextId);
    let going = created.ok;
    if (!created.ok) {
      item.failure = created.failure;
      item.outcome = 'failed';
    }
    const hasBody = synthetic.body.length > 0;
    const hasTrailers = synthetic.trailers.length > 0;
    if (going) {
      const n = stream.maps[0]!.length;
      going = step('proxy_on_request_headers', abi01 ? [contextId, n] : [contextId, n, !hasBody && !hasTrailers ? 1 : 0], 'request', 'headers');
    }
    if (going && hasBody) {
      going = step('proxy_on_request_body', [contextId, stream.buffers.request_body!.length, hasTrailers ? 0 : 1], 'request', 'data');
    }
    if (going && hasTrailers) going = step('proxy_on_request_trailers', [contextId, stream.maps[1]!.length], 'request', 'trailers');
    if (going && paused) {
      item.outcome = 'paused';
      going = false;
    }
    const requestEnd = { headers: clonePairs(stream.maps[0]!), trailers: clonePairs(stream.maps[1]!), body: stream.buffers.request_body! };

    // The response: the upstream's, or the plugin's own local response, which Envoy also passes through the encoder side.
    let responseStart: { headers: Pairs; trailers: Pairs; body: Uint8Array } | null = null;
    const local = stream.localResponse !== null && item.outcome !== 'failed' && item.outcome !== 'closed';
    if (going || local) {
      if (!local) {
        const response = synthetic.response;
        stream.maps[2] = [[':status', String(response.status)], ...response.headers.map(([k, v]): [string, string] => [k.toLowerCase(), v])];
        stream.buffers.response_body = utf8.encode(response.body);
      }
      stream.maps[3] = local ? [] : synthetic.response.trailers.map(([k, v]): [string, string] => [k.toLowerCase(), v]);
      responseStart = { headers: clonePairs(stream.maps[2]!), trailers: clonePairs(stream.maps[3]), body: stream.buffers.response_body! };
      const body = stream.buffers.response_body!;
      const trailers = stream.maps[3];
      paused = false;
      const pass = (name: string, args: number[], kind: ActionKind): boolean => {
        const before = stream.localResponse;
        const ok = step(name, args, 'response', kind);
        // A local response sent while answering is recorded; the response already under way ends with it.
        return ok || (before !== null && stream.localResponse === before && item.failure === null && !stream.closed);
      };
      let on = true;
      const n = stream.maps[2]!.length;
      on = pass('proxy_on_response_headers', abi01 ? [contextId, n] : [contextId, n, body.length === 0 && trailers.length === 0 ? 1 : 0], 'headers');
      if (on && body.length > 0) on = pass('proxy_on_response_body', [contextId, body.length, trailers.length === 0 ? 1 : 0], 'data');
      if (on && trailers.length > 0) on = pass('proxy_on_response_trailers', [contextId, trailers.length], 'trailers');
      if (on && paused && item.outcome === 'completed') item.outcome = 'paused';
      if (local && item.outcome !== 'failed' && item.outcome !== 'closed') item.outcome = 'local_response';
    }
    if (stream.localResponse && item.outcome === 'completed') item.outcome = 'local_response';

    // The end of the stream, whatever happened to it, in Envoy's order: the filter is destroyed (done), the
    // access log written (log), the context deleted.
    for (const name of ['proxy_on_done', 'proxy_on_log', 'proxy_on_delete']) {
      if (item.outcome === 'failed') break;
      const result = this.call(name, [contextId], contextId);
      if (!result.ok) {
        item.failure = result.failure;
        item.outcome = 'failed';
      } else if (result.exported) {
        this.step(item.steps, { callback: name, action: null });
        if (name === 'proxy_on_done' && result.value === 0) host.awaitingDone.add(contextId);
      }
    }
    host.contexts.delete(contextId);
    this.steps = null;
    if (!recording) return;

    item.localResponse = stream.localResponse;
    item.request = {
      headers: headerChanges(original.headers, requestEnd.headers),
      bodyChanged: !sameBytes(original.body, requestEnd.body),
      trailers: headerChanges(original.trailers, requestEnd.trailers),
    };
    if (responseStart) {
      item.response = {
        headers: headerChanges(responseStart.headers, stream.maps[2] ?? []),
        bodyChanged: !sameBytes(responseStart.body, stream.buffers.response_body ?? new Uint8Array(0)),
        trailers: headerChanges(responseStart.trailers, stream.maps[3] ?? []),
      };
    }
    const after = host.metricValues();
    item.metrics = host
      .metricList()
      .filter((m) => after.get(m.name) !== metricsBefore!.get(m.name))
      .slice(0, TRACE_BOUNDS.metrics);
  }

  private openConnections(rootId: number): void {
    this.at = { section: 'connections', index: 0 };
    const item = emptyConnectionTrace('connection');
    this.trace.connections.push(item);
    this.checkpoint();
    this.runConnection(rootId, item, true);
    this.checkpoint();
  }

  private runConnection(rootId: number, item: ConnectionTrace, recording: boolean): void {
    const { host } = this;
    const contextId = this.newContext(rootId);
    const downstream = utf8.encode(CONNECTION_DATA.downstream);
    const upstream = utf8.encode(CONNECTION_DATA.upstream);
    const stream: StreamState = {
      request: DEFAULT_REQUESTS[0]!,
      maps: [null, null, null, null],
      buffers: { downstream_data: downstream, upstream_data: upstream },
      continued: new Set(),
      closed: false,
      localResponse: null,
    };
    host.contexts.get(contextId)!.stream = stream;
    host.section = { logs: item.logs, callsOut: item.callsOut, discard: !recording };
    this.steps = item.steps;
    let paused = false;
    const step = (name: string, args: number[], side: 'downstream' | 'upstream' | null): boolean => {
      stream.continued.clear();
      const result = this.call(name, args, contextId);
      if (!result.ok) {
        item.failure = result.failure;
        item.outcome = 'failed';
        return false;
      }
      if (result.exported) this.step(item.steps, { callback: name, action: side && result.value !== null ? filterActionName(result.value, 'network') : null });
      if (side && result.exported) paused = stopsIteration(result.value ?? 0, 'network');
      const failure = this.settle(rootId);
      if (failure) {
        item.failure = failure;
        item.outcome = 'failed';
        return false;
      }
      if (side && stream.continued.has(side)) paused = false;
      if (stream.closed) {
        item.outcome = 'closed';
        return false;
      }
      return true;
    };
    let on = step('proxy_on_context_create', [contextId, rootId], null);
    if (on) on = step('proxy_on_new_connection', [contextId], 'downstream');
    if (on) on = step('proxy_on_downstream_data', [contextId, downstream.length, 0], 'downstream');
    if (on) on = step('proxy_on_upstream_data', [contextId, upstream.length, 0], 'upstream');
    if (on && paused) item.outcome = 'paused';
    if (item.outcome !== 'failed') {
      on = step('proxy_on_downstream_connection_close', [contextId, PeerType.Remote], null);
      if (on) on = step('proxy_on_upstream_connection_close', [contextId, PeerType.Local], null);
      if (on) on = step('proxy_on_done', [contextId], null);
      if (on) on = step('proxy_on_log', [contextId], null);
      if (on) step('proxy_on_delete', [contextId], null);
    }
    item.downstreamDataChanged = !sameBytes(downstream, stream.buffers.downstream_data ?? new Uint8Array(0));
    item.upstreamDataChanged = !sameBytes(upstream, stream.buffers.upstream_data ?? new Uint8Array(0));
    host.contexts.delete(contextId);
    this.steps = null;
  }

  // ---- timers ----------------------------------------------------------------------------------------

  private fireTicks(): void {
    const { host, trace } = this;
    if (!host || !this.fn('proxy_on_tick')) return;
    host.section = { logs: trace.ticks.logs, callsOut: trace.ticks.callsOut, discard: false };
    for (const [rootId, period] of [...host.tickPeriods.entries()]) {
      if (period === 0 || !host.contexts.has(rootId)) continue;
      for (let i = 0; i < this.request.limits.ticks && (host.tickPeriods.get(rootId) ?? 0) > 0; i++) {
        this.at = { section: 'ticks', index: trace.ticks.fired };
        const result = this.call('proxy_on_tick', [rootId], rootId);
        trace.ticks.fired++;
        const failure = result.ok ? this.settle(rootId) : result.failure;
        if (failure) {
          trace.ticks.failure ??= failure;
          break;
        }
      }
      this.checkpoint();
    }
  }

  // ---- 3. cost ---------------------------------------------------------------------------------------

  private measureCost(rootId: number, memoryBytesAfterStart: number): void {
    const samples = this.request.limits.costSamples;
    const http = this.trace.filterType === 'http';
    if (samples <= 0 || (!http && this.trace.connections.length === 0)) return;
    // Each pass is timed with the monotonic clock on this thread, which does nothing else meanwhile: the pass is
    // synchronous and CPU-bound, so this is its CPU time plus any preemption (which the median leaves out). The
    // per-thread CPU clock (process.threadCpuUsage, getrusage) counts in scheduler ticks: most passes read 0.
    const nowMicros = (): number => Number(process.hrtime.bigint()) / 1000;
    const pass = (index: number): boolean => {
      this.at = { section: 'cost', index };
      if (http) {
        const item = emptyRequestTrace('cost');
        this.runRequest(DEFAULT_REQUESTS[0]!, rootId, item, false);
        return item.failure === null;
      }
      const item = emptyConnectionTrace('cost');
      this.runConnection(rootId, item, false);
      return item.failure === null;
    };
    for (let i = 0; i < Math.min(WARM_UP_PASSES, samples); i++) if (!pass(i)) return;
    const micros: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = nowMicros();
      if (!pass(i)) break;
      micros.push(nowMicros() - before);
    }
    if (micros.length === 0) return;
    micros.sort((a, b) => a - b);
    const at = (q: number): number => Math.round(micros[Math.min(micros.length - 1, Math.ceil(q * micros.length) - 1)]!);
    this.trace.cost = {
      medianMicros: at(0.5),
      p95Micros: at(0.95),
      samples: micros.length,
      memoryBytesAfterStart,
      caveat: COST_CAVEAT,
    };
    this.checkpoint();
  }

  // ---- calls into the module -------------------------------------------------------------------------

  private fn(name: string): ((...args: number[]) => unknown) | null {
    const value = this.exports[name];
    return typeof value === 'function' ? (value as (...args: number[]) => unknown) : null;
  }

  private hasAny(names: readonly string[]): boolean {
    return names.some((name) => this.fn(name) !== null);
  }

  private newContext(rootId: number | null, configuration = ''): number {
    const id = this.nextContextId++;
    this.host.createContext(id, rootId, configuration);
    return id;
  }

  /** Calls an export with the host acting on `contextId`; a missing export is not an error (Envoy skips it). */
  private call(name: TrialCallback, args: number[], contextId: number): CallResult {
    const fn = this.fn(name);
    if (!fn) return { ok: true, value: null, exported: false };
    const host = this.host;
    const outer = { callback: host.callback };
    host.callback = name;
    host.enterContext(contextId);
    this.watch.enter(name, this.at);
    try {
      const value = fn(...args);
      // Belt and braces: the runner lowers the module's memory maximum to the cap before the trial; a memory
      // that still grew past it (an imported one, say) ends the callback as out of memory.
      const capBytes = this.request.limits.memoryMb * MIB;
      if (host.memory.size > capBytes) {
        const message = `linear memory grew to ${Math.ceil(host.memory.size / MIB)} MiB, over the cap of ${this.request.limits.memoryMb} MiB`;
        return { ok: false, failure: { kind: 'out_of_memory', callback: name, message } };
      }
      return { ok: true, value: typeof value === 'number' ? value >>> 0 : null, exported: true };
    } catch (error) {
      return { ok: false, failure: this.failureOf(error, name) };
    } finally {
      this.watch.leave();
      host.callback = outer.callback;
    }
  }

  private failureOf(error: unknown, callback: TrialCallback | null): TrialFailure {
    const message = shortText(messageOf(error), TRACE_BOUNDS.logMessageBytes);
    if (error instanceof HostTrap || error instanceof Wasm.RuntimeError) return { kind: 'trap', callback, message };
    if (error instanceof RangeError) {
      if (/call stack/i.test(message)) return { kind: 'trap', callback, message: `stack overflow (${message})` };
      if (/memory|allocation/i.test(message)) return { kind: 'out_of_memory', callback, message };
      return { kind: 'trap', callback, message };
    }
    if (error instanceof MemoryFault || !(error instanceof Error)) return { kind: 'host_error', callback, message };
    // Import and export types are checked at link time, so anything else thrown here is the host's own failure.
    return { kind: 'host_error', callback, message };
  }

  /**
   * Delivers what arrived while the module ran: answers to its calls out (the stub's, or an unreachable cluster's
   * failure) and queue notifications, each to the root context that asked, as Envoy's dispatcher would. Bounded:
   * answers that cause more calls are delivered up to MAX_PENDING, the rest are dropped and counted.
   */
  private settle(rootIdHint: number): TrialFailure | null {
    const { host } = this;
    let budget = MAX_PENDING;
    while (budget-- > 0) {
      const call = host.pendingCalls.shift();
      const ready = call ? undefined : host.pendingQueueReady.shift();
      if (!call && !ready) return null;
      let result: CallResult;
      if (ready) {
        result = this.deliver('proxy_on_queue_ready', [ready.rootId, ready.token], ready.rootId);
      } else if (call!.kind === 'http') {
        const answer = call!.answer;
        host.callResponse = answer
          ? {
              headers: [[':status', String(answer.status)], ...answer.headers.map(([k, v]): [string, string] => [k.toLowerCase(), v])],
              body: utf8.encode(answer.body),
              trailers: [],
            }
          : { headers: [], body: new Uint8Array(0), trailers: [] };
        const { headers, body } = host.callResponse;
        result = this.deliver('proxy_on_http_call_response', [call!.rootId, call!.token, headers.length, body.length, 0], call!.rootId);
        host.callResponse = null;
      } else {
        const answer = call!.answer;
        if (answer && call!.kind === 'grpc') {
          host.grpcMessage = utf8.encode(answer.body);
          host.callResponse = { headers: [], body: host.grpcMessage, trailers: [] };
          result = this.deliver('proxy_on_grpc_receive', [call!.rootId, call!.token, host.grpcMessage.length], call!.rootId);
          host.grpcMessage = null;
          host.setStatus(call!.rootId, 0, '');
          if (result.ok) result = this.deliver('proxy_on_grpc_close', [call!.rootId, call!.token, 0], call!.rootId);
          host.callResponse = null;
        } else {
          host.setStatus(call!.rootId, GRPC_UNAVAILABLE, GRPC_FAILURE_MESSAGE);
          result = this.deliver('proxy_on_grpc_close', [call!.rootId, call!.token, GRPC_UNAVAILABLE], call!.rootId);
        }
      }
      if (!result.ok) return result.failure;
    }
    const dropped = host.pendingCalls.length + host.pendingQueueReady.length;
    if (dropped > 0) this.omit('callAnswers', dropped);
    host.pendingCalls.length = 0;
    host.pendingQueueReady.length = 0;
    void rootIdHint;
    return null;
  }

  private step(steps: CallbackStep[], step: CallbackStep): void {
    if (steps.length < TRACE_BOUNDS.steps) steps.push(step);
    else this.omit('steps');
  }

  private deliver(name: string, args: number[], rootId: number): CallResult {
    const result = this.call(name, args, rootId);
    if (result.ok && result.exported && this.steps) this.step(this.steps, { callback: name, action: null });
    return result;
  }
}

function wasiSignature(name: string): string | null {
  const params = WASI_SIGNATURES[name];
  if (params === undefined) return null;
  const types = [...params].map((c) => (c === 'I' ? 'i64' : 'i32'));
  return `${types.join(' ')} -> ${VOID_WASI.has(name) ? '' : 'i32'}`.trim();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function shortText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clonePairs(pairs: Pairs): Pairs {
  return pairs.map(([k, v]) => [k, v]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** What a header map looks like after the module, against before: by name, first value. */
export function headerChanges(before: Pairs, after: Pairs): HeaderChanges {
  // Every value of a name counts: a plugin that adds a second x-request-id has added a header.
  const grouped = (pairs: Pairs): Map<string, string[]> => {
    const map = new Map<string, string[]>();
    for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
    return map;
  };
  const was = grouped(before);
  const now = grouped(after);
  const added: Pairs = [];
  const replaced: [string, string, string][] = [];
  const removed: string[] = [];
  for (const [k, values] of now) {
    const gone = [...(was.get(k) ?? [])];
    const fresh: string[] = [];
    for (const v of values) {
      const at = gone.indexOf(v);
      if (at >= 0) gone.splice(at, 1);
      else fresh.push(v);
    }
    // Values that went and came in their place are replacements; what is left was added or removed.
    const paired = Math.min(gone.length, fresh.length);
    for (let i = 0; i < paired; i++) replaced.push([k, gone[i]!, fresh[i]!]);
    for (const v of fresh.slice(paired)) added.push([k, v]);
    if (gone.length > paired) removed.push(k);
  }
  for (const k of was.keys()) if (!now.has(k)) removed.push(k);
  const bound = TRACE_BOUNDS.headerChanges;
  return {
    added: boundPairs(added.slice(0, bound)),
    replaced: replaced
      .slice(0, bound)
      .map(([k, a, b]): [string, string, string] => [
        shortText(k, TRACE_BOUNDS.headerNameBytes),
        shortText(a, TRACE_BOUNDS.headerValueBytes),
        shortText(b, TRACE_BOUNDS.headerValueBytes),
      ]),
    removed: removed.slice(0, bound).map((k) => shortText(k, TRACE_BOUNDS.headerNameBytes)),
  };
}

export type { MetricTrace };
