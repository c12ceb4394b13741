import { EXTRA_ENV_FUNCTIONS, HOST_FUNCTIONS, shorten } from '../../analysis/index.js';
import {
  ALLOWED_DURING_START,
  BUFFER_TYPES,
  type BufferName,
  GRPC_UNAVAILABLE,
  HEADER_MAP_TYPES,
  LOG_LEVELS,
  METRIC_TYPES,
  STREAM_TYPES,
  type StreamName,
  WasmResult,
} from './abi.js';
import { MemoryFault, ModuleMemory } from './module-memory.js';
import { type PropertyStream, TRIAL_VM_ID, parsePairs, propertyBytes, serializePairs } from './properties.js';
import { TRACE_BOUNDS } from './trial-limits.js';
import type {
  AbiVersion,
  CallOut,
  LocalResponse,
  LogLine,
  MetricTrace,
  StubbedAnswer,
  SyntheticRequest,
  TrialCallback,
} from './trial-types.js';

/**
 * The `env` host functions of Proxy-Wasm ABI 0.1.0, 0.2.0 and 0.2.1, and the state behind them: contexts,
 * header maps, buffers, properties, shared data and queues, metrics, timers, calls out and local responses.
 * Marshalling and return codes follow proxy-wasm-cpp-host (src/exports.cc) and Envoy's context
 * (source/extensions/common/wasm/context.cc). Nothing leaves the sandbox: calls out are recorded and answered by
 * a stub, later, by whoever runs the trial (performTrial), through the pending lists this host keeps.
 */

export type Pairs = [string, string][];

/** A trap the host raises on the module's behalf (the C++ host's "restricted_callback"). */
export class HostTrap extends Error {}

/** Where the host writes what the module does while one part of the trial runs. */
export interface HostSection {
  logs: LogLine[];
  callsOut: CallOut[];
  /** No recording at all (cost measurement); counters still count. */
  discard: boolean;
}

export interface StreamState {
  request: SyntheticRequest;
  /** request_headers, request_trailers, response_headers, response_trailers; null until that phase. */
  maps: (Pairs | null)[];
  buffers: Partial<Record<BufferName, Uint8Array>>;
  /** Streams the module asked to continue (proxy_continue_stream / continue_request) since the host last looked. */
  continued: Set<StreamName>;
  closed: boolean;
  localResponse: LocalResponse | null;
}

export interface HostContext {
  id: number;
  /** Its root context's id; a root's own id. */
  rootId: number;
  isRoot: boolean;
  configuration: Uint8Array;
  stream: StreamState | null;
  properties: Map<string, Uint8Array>;
  status: { code: number; message: string };
}

export interface PendingCall {
  kind: 'http' | 'grpc' | 'grpc_stream';
  token: number;
  rootId: number;
  answer: StubbedAnswer | null;
}

interface Metric {
  name: string;
  type: MetricTrace['type'];
  value: bigint;
  recorded: number[];
}

export interface ProxyWasmHostOptions {
  abi: AbiVersion;
  rootId: string;
  vmConfiguration: string;
  upstreams: Record<string, StubbedAnswer>;
  /** The trace's omitted counters, by list name. */
  omitted: Record<string, number>;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Answers delivered per part of the trial; a module calling out in a loop gets the rest dropped (counted). */
export const MAX_PENDING = 200;

type HostFunction = (...args: never[]) => number | void;

export class ProxyWasmHost {
  readonly memory = new ModuleMemory();
  readonly contexts = new Map<number, HostContext>();
  readonly sharedData = new Map<string, { value: Uint8Array; cas: number }>();
  readonly metrics = new Map<number, Metric>();
  readonly tickPeriods = new Map<number, number>();
  readonly pendingCalls: PendingCall[] = [];
  readonly pendingQueueReady: { rootId: number; token: number }[] = [];
  /** Contexts whose proxy_on_done returned false: they may call proxy_done. */
  readonly awaitingDone = new Set<number>();
  hostCalls = 0;
  callback: TrialCallback = '';
  section: HostSection = { logs: [], callsOut: [], discard: true };
  /** Set while _initialize/_start/main run: only logging and WASI are allowed (cpp-host startVm). */
  restricted = false;
  /** What the answer being delivered carries (http call response, gRPC message), whatever context reads it. */
  callResponse: { headers: Pairs; body: Uint8Array; trailers: Pairs } | null = null;
  grpcMessage: Uint8Array | null = null;

  private currentId = 0;
  private effectiveId = 0;
  private nextToken = 1;
  private nextMetricId = 1;
  private casCounter = 0;
  private readonly metricIds = new Map<string, number>();
  private readonly queues = new Map<string, { token: number; rootId: number; items: Uint8Array[] }>();
  private readonly queuesByToken = new Map<number, { rootId: number; items: Uint8Array[] }>();

  constructor(private readonly options: ProxyWasmHostOptions) {}

  /** Makes `id` the context host functions act on until the next call into the module (and clears any effective one). */
  enterContext(id: number): void {
    this.currentId = id;
    this.effectiveId = 0;
  }

  createContext(id: number, rootId: number | null, configuration = ''): HostContext {
    const context: HostContext = {
      id,
      rootId: rootId ?? id,
      isRoot: rootId === null,
      configuration: utf8.encode(configuration),
      stream: null,
      properties: new Map(),
      status: { code: 0, message: '' },
    };
    this.contexts.set(id, context);
    return context;
  }

  log(level: LogLine['level'], message: string): void {
    this.count('logs', this.section.logs, TRACE_BOUNDS.logsPerSection, () => ({
      level,
      message: shorten(message, TRACE_BOUNDS.logMessageBytes),
      callback: this.callback,
    }));
  }

  metricList(): MetricTrace[] {
    return [...this.metrics.values()].slice(0, TRACE_BOUNDS.metrics).map(metricTrace);
  }

  metricValues(): Map<string, bigint> {
    return new Map([...this.metrics.values()].map((m) => [m.name, m.value + BigInt(m.recorded.length)]));
  }

  /**
   * The type the host gives an `env` function, as "params -> results" in wasm types; V8 in the C++ host refuses a
   * module importing it with another ("import type mismatch").
   */
  signatureOf(name: string): string | null {
    const fn = this.functions()[name];
    if (!fn) return null;
    const params = Array.from({ length: fn.length }, (_, i) =>
      (name === 'proxy_increment_metric' || name === 'proxy_record_metric') && i === 1 ? 'i64' : 'i32',
    );
    return `${params.join(' ')} -> ${name === 'emscripten_notify_memory_growth' ? '' : 'i32'}`.trim();
  }

  /** The `env` import object: every function the C++ host links for this ABI version. */
  imports(): Record<string, HostFunction> {
    const all = this.functions();
    const names = [...HOST_FUNCTIONS[this.options.abi], ...EXTRA_ENV_FUNCTIONS.keys()];
    const env: Record<string, HostFunction> = {};
    for (const name of names) {
      const fn = all[name] ?? (() => WasmResult.Unimplemented);
      env[name] = this.guard(`env.${name}`, fn as (...args: unknown[]) => number | void);
    }
    return env;
  }

  /** Wraps a host function: counted, restricted at start, bad pointers answered InvalidMemoryAccess. */
  guard(key: string, fn: (...args: unknown[]) => number | void, fault: number = WasmResult.InvalidMemoryAccess): HostFunction {
    const allowedAtStart = ALLOWED_DURING_START.has(key);
    return (...args: unknown[]) => {
      this.hostCalls++;
      if (this.restricted && !allowedAtStart) throw new HostTrap(`restricted_callback: ${key} called during start`);
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof MemoryFault) return fault;
        throw error;
      }
    };
  }

  private context(): HostContext {
    const id = this.effectiveId || this.currentId;
    const context = this.contexts.get(id);
    if (!context) throw new Error(`no context ${id}`);
    return context;
  }

  private rootOf(context: HostContext): HostContext {
    return this.contexts.get(context.rootId) ?? context;
  }

  private count<T>(name: string, list: T[], bound: number, make: () => T): void {
    if (this.section.discard) return;
    if (list.length < bound) list.push(make());
    else this.options.omitted[name] = (this.options.omitted[name] ?? 0) + 1;
  }

  private headerMap(type: number): Pairs | null {
    const name = HEADER_MAP_TYPES[type];
    if (name === undefined) return null;
    if (type <= 3) return this.context().stream?.maps[type] ?? null;
    if (name === 'http_call_response_headers') return this.callResponse?.headers ?? null;
    if (name === 'http_call_response_trailers') return this.callResponse?.trailers ?? null;
    return this.callResponse ? [] : null; // gRPC metadata: the stub sends none
  }

  private buffer(type: number): { bytes: Uint8Array; set: ((bytes: Uint8Array) => void) | null } | null {
    const name = BUFFER_TYPES[type];
    if (name === undefined) return null;
    const context = this.context();
    switch (name) {
      case 'vm_configuration':
        return { bytes: utf8.encode(this.options.vmConfiguration), set: null };
      case 'plugin_configuration':
        return { bytes: this.rootOf(context).configuration, set: null };
      case 'http_call_response_body':
        return this.callResponse ? { bytes: this.callResponse.body, set: null } : null;
      case 'grpc_receive_buffer':
        return this.grpcMessage ? { bytes: this.grpcMessage, set: null } : null;
      case 'call_data':
        return null;
      default: {
        const stream = context.stream;
        const bytes = stream?.buffers[name];
        if (!stream || !bytes) return null;
        return { bytes, set: (next) => (stream.buffers[name] = next) };
      }
    }
  }

  private propertyStream(context: HostContext): PropertyStream | null {
    const stream = context.stream;
    if (!stream) return null;
    return {
      method: stream.request.method,
      path: stream.request.path,
      requestHeaders: stream.maps[0] ?? [],
      requestBodyBytes: stream.buffers.request_body?.length ?? 0,
      responseStatus: stream.maps[2] ? stream.request.response.status : null,
      responseHeaders: stream.maps[2],
      responseBodyBytes: stream.buffers.response_body?.length ?? 0,
    };
  }

  private recordCall(call: Omit<CallOut, 'callback'>): void {
    this.count('callsOut', this.section.callsOut, TRACE_BOUNDS.callsOutPerSection, () => ({
      ...call,
      upstream: shorten(call.upstream, TRACE_BOUNDS.headerValueBytes),
      headers: boundPairs(call.headers),
      body: shorten(call.body, TRACE_BOUNDS.bodyShownBytes),
      callback: this.callback,
    }));
  }

  /** An http or gRPC call: recorded, its token written, its stubbed answer queued for when the callback returns. */
  private callOut(
    kind: 'http' | 'grpc',
    upstream: string,
    headers: [string, string][],
    body: Uint8Array,
    timeoutMs: number,
    tokenPtr: number,
  ): number {
    this.memory.setU32(tokenPtr, 0); // as the C++ host: the token's memory is checked before the call starts
    const answer = this.answerFor(upstream);
    const token = this.nextToken++;
    this.recordCall({ kind, upstream, headers, body: decodeShown(body), timeoutMs: timeoutMs >>> 0, answer: answer ? { status: answer.status } : 'failure' });
    this.queueCall({ kind, token, rootId: this.context().rootId, answer });
    this.memory.setU32(tokenPtr, token);
    return WasmResult.Ok;
  }

  private queueCall(call: PendingCall): void {
    if (this.pendingCalls.length < MAX_PENDING) this.pendingCalls.push(call);
    else this.options.omitted.callAnswers = (this.options.omitted.callAnswers ?? 0) + 1;
  }

  private answerFor(upstream: string): StubbedAnswer | null {
    const answer = Object.hasOwn(this.options.upstreams, upstream) ? this.options.upstreams[upstream] : undefined;
    return answer && answer.kind === 'answer' ? answer : null;
  }

  private table: Record<string, (...args: never[]) => number | void> | null = null;

  private functions(): Record<string, (...args: never[]) => number | void> {
    this.table ??= this.makeFunctions();
    return this.table;
  }

  private makeFunctions(): Record<string, (...args: never[]) => number | void> {
    const m = this.memory;
    const R = WasmResult;
    const streamOf = (context: HostContext): StreamState | null => context.stream;
    const continueStream = (type: number): number => {
      const stream = streamOf(this.context());
      const name = STREAM_TYPES[type];
      if (name === undefined) return R.BadArgument;
      if (!stream) return R.Unimplemented;
      stream.continued.add(name);
      return R.Ok;
    };
    const lower = (text: string): string => text.toLowerCase();
    return {
      proxy_log: (level: number, ptr: number, size: number) => {
        const name = LOG_LEVELS[level];
        if (name === undefined) return R.BadArgument;
        this.log(name, m.text(ptr, size));
        return R.Ok;
      },
      proxy_get_log_level: (ptr: number) => {
        m.setU32(ptr, 2); // info: Envoy's default for the wasm log component
        return R.Ok;
      },
      proxy_get_status: (codePtr: number, ptrPtr: number, sizePtr: number) => {
        const { status } = this.rootOf(this.context());
        m.setU32(codePtr, status.code);
        m.copyOut(utf8.encode(status.message), ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_set_property: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const key = m.text(keyPtr, keySize);
        const value = m.copy(valuePtr, valueSize);
        this.context().properties.set(key, value);
        return R.Ok;
      },
      proxy_get_property: (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
        const path = m.text(pathPtr, pathSize);
        const context = this.context();
        const own = context.properties.get(path) ?? this.rootOf(context).properties.get(path);
        const value =
          own ??
          propertyBytes(path.split('\0').filter((s) => s !== ''), {
            rootId: this.options.rootId,
            vmId: TRIAL_VM_ID,
            stream: this.propertyStream(context),
          });
        if (!value) return R.NotFound;
        m.copyOut(value, ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_get_configuration: (ptrPtr: number, sizePtr: number) => {
        m.copyOut(this.rootOf(this.context()).configuration, ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_send_local_response: (
        status: number,
        detailsPtr: number,
        detailsSize: number,
        bodyPtr: number,
        bodySize: number,
        pairsPtr: number,
        pairsSize: number,
        grpcStatus: number,
      ) => {
        const details = m.text(detailsPtr, detailsSize);
        const body = m.copy(bodyPtr, bodySize);
        const headers = parsePairs(m.slice(pairsPtr, pairsSize));
        const stream = streamOf(this.context());
        if (!stream) return R.Unimplemented;
        // The first local response wins, as Envoy sends only one.
        stream.localResponse ??= {
          status: status >>> 0,
          details: shorten(details, TRACE_BOUNDS.headerValueBytes),
          headers: boundPairs(headers),
          body: shorten(Buffer.from(body).toString('utf8'), TRACE_BOUNDS.bodyShownBytes),
          grpcStatus: grpcStatus === -1 || grpcStatus >>> 0 === 0xffffffff ? null : grpcStatus >>> 0,
          callback: this.callback,
        };
        stream.buffers.response_body = body;
        stream.maps[2] = [[':status', String(status >>> 0)], ...headers];
        return R.Ok;
      },
      proxy_continue_request: () => continueStream(0),
      proxy_continue_response: () => continueStream(1),
      proxy_continue_stream: (type: number) => continueStream(type >>> 0),
      proxy_close_stream: (type: number) => {
        const stream = streamOf(this.context());
        if (STREAM_TYPES[type >>> 0] === undefined) return R.BadArgument;
        if (!stream) return R.Unimplemented;
        stream.closed = true;
        return R.Ok;
      },
      proxy_clear_route_cache: () => R.Ok,
      proxy_set_effective_context: (id: number) => {
        if (!this.contexts.has(id >>> 0)) return R.BadArgument;
        this.effectiveId = id >>> 0;
        return R.Ok;
      },
      proxy_done: () => (this.awaitingDone.delete(this.context().id) ? R.Ok : R.NotFound),
      proxy_call_foreign_function: (namePtr: number, nameSize: number, argsPtr: number, argsSize: number, _results: number, _resultsSize: number) => {
        m.slice(namePtr, nameSize);
        m.slice(argsPtr, argsSize);
        return R.NotFound; // the sandbox registers no foreign functions
      },
      proxy_get_shared_data: (keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
        const entry = this.sharedData.get(m.text(keyPtr, keySize));
        if (!entry) return R.NotFound;
        m.copyOut(entry.value, ptrPtr, sizePtr);
        m.setU32(casPtr, entry.cas);
        return R.Ok;
      },
      proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) => {
        const key = m.text(keyPtr, keySize);
        const value = m.copy(valuePtr, valueSize);
        const entry = this.sharedData.get(key);
        if (entry && cas >>> 0 !== 0 && cas >>> 0 !== entry.cas) return R.CasMismatch;
        if (!entry && this.sharedData.size >= 10_000) return R.InternalFailure; // bounds host memory
        this.sharedData.set(key, { value, cas: ++this.casCounter });
        return R.Ok;
      },
      proxy_register_shared_queue: (namePtr: number, nameSize: number, tokenPtr: number) => {
        const name = m.text(namePtr, nameSize);
        const key = `${TRIAL_VM_ID}\0${name}`;
        let queue = this.queues.get(key);
        if (!queue) {
          queue = { token: this.nextToken++, rootId: this.context().rootId, items: [] };
          this.queues.set(key, queue);
          this.queuesByToken.set(queue.token, queue);
        }
        m.setU32(tokenPtr, queue.token);
        return R.Ok;
      },
      proxy_resolve_shared_queue: (vmPtr: number, vmSize: number, namePtr: number, nameSize: number, tokenPtr: number) => {
        const vmId = m.text(vmPtr, vmSize) || TRIAL_VM_ID;
        const queue = this.queues.get(`${vmId}\0${m.text(namePtr, nameSize)}`);
        if (!queue) return R.NotFound;
        m.setU32(tokenPtr, queue.token);
        return R.Ok;
      },
      proxy_enqueue_shared_queue: (token: number, dataPtr: number, dataSize: number) => {
        const data = m.copy(dataPtr, dataSize);
        const queue = this.queuesByToken.get(token >>> 0);
        if (!queue) return R.NotFound;
        if (queue.items.length >= 1000) return R.InternalFailure; // bounds host memory
        queue.items.push(data);
        if (this.pendingQueueReady.length < MAX_PENDING) this.pendingQueueReady.push({ rootId: queue.rootId, token: token >>> 0 });
        return R.Ok;
      },
      proxy_dequeue_shared_queue: (token: number, ptrPtr: number, sizePtr: number) => {
        const queue = this.queuesByToken.get(token >>> 0);
        if (!queue) return R.NotFound;
        const item = queue.items[0];
        if (!item) return R.Empty;
        m.copyOut(item, ptrPtr, sizePtr);
        queue.items.shift();
        return R.Ok;
      },
      proxy_get_header_map_value: (type: number, keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const key = lower(m.text(keyPtr, keySize));
        const map = this.headerMap(type);
        if (!map) return R.BadArgument;
        const found = map.find(([k]) => k === key);
        if (!found) return R.NotFound;
        m.copyOut(utf8.encode(found[1]), ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_add_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const key = lower(m.text(keyPtr, keySize));
        const value = m.text(valuePtr, valueSize);
        const map = this.headerMap(type);
        if (!map || type > 3) return R.BadArgument;
        if (map.length < 1000) map.push([key, value]);
        return R.Ok;
      },
      proxy_replace_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const key = lower(m.text(keyPtr, keySize));
        const value = m.text(valuePtr, valueSize);
        const map = this.headerMap(type);
        if (!map || type > 3) return R.BadArgument;
        const at = map.findIndex(([k]) => k === key);
        if (at < 0) {
          if (map.length < 1000) map.push([key, value]);
          return R.Ok;
        }
        map[at] = [key, value];
        for (let i = map.length - 1; i > at; i--) if (map[i]![0] === key) map.splice(i, 1);
        return R.Ok;
      },
      proxy_remove_header_map_value: (type: number, keyPtr: number, keySize: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const key = lower(m.text(keyPtr, keySize));
        const map = this.headerMap(type);
        if (!map || type > 3) return R.BadArgument;
        for (let i = map.length - 1; i >= 0; i--) if (map[i]![0] === key) map.splice(i, 1);
        return R.Ok;
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const map = this.headerMap(type);
        if (!map) return R.BadArgument;
        m.copyOut(map.length === 0 ? EMPTY : serializePairs(map), ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const pairs = parsePairs(m.slice(ptr, size)).map(([k, v]): [string, string] => [lower(k), v]);
        const map = this.headerMap(type);
        if (!map || type > 3) return R.BadArgument;
        map.splice(0, map.length, ...pairs.slice(0, 1000));
        return R.Ok;
      },
      proxy_get_header_map_size: (type: number, resultPtr: number) => {
        if (type >>> 0 > 7) return R.BadArgument;
        const map = this.headerMap(type);
        if (!map) return R.BadArgument;
        // Envoy answers the map's byteSize(): keys and values together.
        m.setU32(resultPtr, map.reduce((sum, [k, v]) => sum + utf8.encode(k).length + utf8.encode(v).length, 0));
        return R.Ok;
      },
      proxy_get_buffer_status: (type: number, lengthPtr: number, flagsPtr: number) => {
        if (type >>> 0 > 8) return R.BadArgument;
        const buffer = this.buffer(type);
        if (!buffer) return R.NotFound;
        m.setU32(lengthPtr, buffer.bytes.length);
        m.setU32(flagsPtr, 0);
        return R.Ok;
      },
      proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > 8) return R.BadArgument;
        const buffer = this.buffer(type);
        if (!buffer) return R.NotFound;
        const from = start >>> 0;
        let count = length >>> 0;
        if (from + count > 0xffffffff) return R.BadArgument;
        const size = buffer.bytes.length;
        if (from > size) count = 0;
        else if (from + count > size) count = size - from;
        // cpp-host's get_buffer_bytes writes nothing for an empty range: the module's own pointers stay as they were.
        if (count === 0) return R.Ok;
        m.copyOut(buffer.bytes.subarray(from, from + count), ptrPtr, sizePtr);
        return R.Ok;
      },
      proxy_set_buffer_bytes: (type: number, start: number, length: number, dataPtr: number, dataSize: number) => {
        if (type >>> 0 > 8) return R.BadArgument;
        const buffer = this.buffer(type);
        if (!buffer) return R.NotFound;
        const data = m.copy(dataPtr, dataSize);
        if (!buffer.set) return R.BadArgument;
        // Envoy's Buffer::copyFrom: replace a prefix (start 0), or append at the end; nothing in between.
        const bytes = buffer.bytes;
        if (start >>> 0 === 0) {
          buffer.set(Buffer.concat([data, bytes.subarray(Math.min(length >>> 0, bytes.length))]));
          return R.Ok;
        }
        if (start >>> 0 >= bytes.length) {
          buffer.set(Buffer.concat([bytes, data]));
          return R.Ok;
        }
        return R.BadArgument;
      },
      proxy_http_call: (
        uriPtr: number,
        uriSize: number,
        headersPtr: number,
        headersSize: number,
        bodyPtr: number,
        bodySize: number,
        trailersPtr: number,
        trailersSize: number,
        timeoutMs: number,
        tokenPtr: number,
      ) => {
        const upstream = m.text(uriPtr, uriSize);
        const body = m.slice(bodyPtr, bodySize);
        const headers = parsePairs(m.slice(headersPtr, headersSize));
        m.slice(trailersPtr, trailersSize);
        return this.callOut('http', upstream, headers, body, timeoutMs, tokenPtr);
      },
      proxy_grpc_call: (
        servicePtr: number,
        serviceSize: number,
        serviceNamePtr: number,
        serviceNameSize: number,
        methodPtr: number,
        methodSize: number,
        metadataPtr: number,
        metadataSize: number,
        requestPtr: number,
        requestSize: number,
        timeoutMs: number,
        tokenPtr: number,
      ) => {
        const upstream = grpcCluster(m.copy(servicePtr, serviceSize));
        const service = m.text(serviceNamePtr, serviceNameSize);
        const method = m.text(methodPtr, methodSize);
        const metadata = parsePairs(m.slice(metadataPtr, metadataSize));
        const request = m.slice(requestPtr, requestSize);
        return this.callOut('grpc', upstream, [['grpc-service', service], ['grpc-method', method], ...metadata], request, timeoutMs, tokenPtr);
      },
      proxy_grpc_stream: (
        servicePtr: number,
        serviceSize: number,
        serviceNamePtr: number,
        serviceNameSize: number,
        methodPtr: number,
        methodSize: number,
        metadataPtr: number,
        metadataSize: number,
        tokenPtr: number,
      ) => {
        const upstream = grpcCluster(m.copy(servicePtr, serviceSize));
        const service = m.text(serviceNamePtr, serviceNameSize);
        const method = m.text(methodPtr, methodSize);
        const metadata = parsePairs(m.slice(metadataPtr, metadataSize));
        m.setU32(tokenPtr, 0);
        const token = this.nextToken++;
        // A stream is answered by closing it: the stub has no streaming peer.
        this.recordCall({
          kind: 'grpc',
          upstream,
          headers: [['grpc-service', service], ['grpc-method', method], ...metadata],
          body: '',
          timeoutMs: 0,
          answer: 'failure',
        });
        this.queueCall({ kind: 'grpc_stream', token, rootId: this.context().rootId, answer: null });
        m.setU32(tokenPtr, token);
        return R.Ok;
      },
      proxy_grpc_send: (token: number, messagePtr: number, messageSize: number, _endStream: number) => {
        m.slice(messagePtr, messageSize);
        return this.pendingCalls.some((c) => c.token === token >>> 0 && c.kind === 'grpc_stream') ? R.Ok : R.BadArgument;
      },
      proxy_grpc_cancel: (token: number) => this.dropCall(token >>> 0),
      proxy_grpc_close: (token: number) => this.dropCall(token >>> 0),
      proxy_set_tick_period_milliseconds: (period: number) => {
        this.tickPeriods.set(this.context().rootId, period >>> 0);
        return R.Ok;
      },
      proxy_get_current_time_nanoseconds: (ptr: number) => {
        m.setU64(ptr, BigInt(Date.now()) * 1_000_000n);
        return R.Ok;
      },
      proxy_define_metric: (type: number, namePtr: number, nameSize: number, idPtr: number) => {
        const name = m.text(namePtr, nameSize);
        const kind = METRIC_TYPES[type >>> 0];
        if (kind === undefined) return R.BadArgument;
        const key = `${kind}\0${name}`;
        let id = this.metricIds.get(key);
        if (id === undefined) {
          if (this.metrics.size >= 10_000) return R.InternalFailure;
          id = this.nextMetricId++;
          this.metricIds.set(key, id);
          this.metrics.set(id, { name: shorten(name, TRACE_BOUNDS.headerNameBytes), type: kind, value: 0n, recorded: [] });
        }
        m.setU32(idPtr, id);
        return R.Ok;
      },
      proxy_increment_metric: (id: number, offset: bigint) => {
        const metric = this.metrics.get(id >>> 0);
        if (!metric) return R.NotFound;
        const delta = BigInt(offset);
        if (metric.type === 'counter') {
          if (delta <= 0n) return R.BadArgument;
          metric.value += delta;
          return R.Ok;
        }
        if (metric.type === 'gauge') {
          metric.value += delta;
          return R.Ok;
        }
        return R.BadArgument;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const metric = this.metrics.get(id >>> 0);
        if (!metric) return R.NotFound;
        const v = BigInt.asUintN(64, BigInt(value));
        if (metric.type === 'counter') metric.value += v;
        else if (metric.type === 'gauge') metric.value = v;
        else if (metric.recorded.length < TRACE_BOUNDS.histogramValues) metric.recorded.push(Number(v));
        else {
          this.options.omitted.histogramValues = (this.options.omitted.histogramValues ?? 0) + 1;
          metric.value += 1n; // keeps "changed" visible once the list is full
        }
        return R.Ok;
      },
      proxy_get_metric: (id: number, resultPtr: number) => {
        const metric = this.metrics.get(id >>> 0);
        if (!metric) return R.NotFound;
        if (metric.type === 'histogram') return R.BadArgument;
        m.setU64(resultPtr, metric.value);
        return R.Ok;
      },
      pthread_equal: (left: number, right: number) => (left === right ? 1 : 0),
      emscripten_notify_memory_growth: (_memoryIndex: number) => undefined,
    } satisfies Record<string, (...args: never[]) => number | void>;
  }

  private dropCall(token: number): number {
    const at = this.pendingCalls.findIndex((c) => c.token === token && c.kind !== 'http');
    if (at < 0) return WasmResult.NotFound;
    this.pendingCalls.splice(at, 1);
    return WasmResult.Ok;
  }

  /** Sets what a gRPC close tells proxy_get_status. */
  setStatus(rootId: number, code: number, message: string): void {
    const root = this.contexts.get(rootId);
    if (root) root.status = { code, message };
  }
}

export const GRPC_FAILURE_MESSAGE = 'upstream unavailable (sandbox stub)';
export { GRPC_UNAVAILABLE };

function metricTrace(metric: Metric): MetricTrace {
  return {
    name: metric.name,
    type: metric.type,
    value: metric.type === 'histogram' ? metric.recorded.length : Number(metric.value),
    recorded: [...metric.recorded],
  };
}

export function boundPairs(pairs: Pairs): Pairs {
  return pairs
    .slice(0, TRACE_BOUNDS.headerChanges)
    .map(([k, v]): [string, string] => [shorten(k, TRACE_BOUNDS.headerNameBytes), shorten(v, TRACE_BOUNDS.headerValueBytes)]);
}

function decodeShown(bytes: Uint8Array): string {
  return shorten(Buffer.from(bytes.subarray(0, TRACE_BOUNDS.bodyShownBytes + 1)).toString('utf8'), TRACE_BOUNDS.bodyShownBytes);
}

/**
 * proxy_grpc_call's service is a serialized envoy.config.core.v3.GrpcService or, failing that, a cluster name
 * (Envoy tries the proto first). From the proto we take envoy_grpc.cluster_name (field 1 → field 1).
 */
function grpcCluster(bytes: Uint8Array): string {
  if (bytes[0] === 0x0a && bytes.length > 2) {
    const outer = bytes[1]!;
    if (outer < 0x80 && bytes[2] === 0x0a && 2 + outer <= bytes.length) {
      const inner = bytes[3]!;
      if (inner < 0x80 && 4 + inner <= 2 + outer) return Buffer.from(bytes.subarray(4, 4 + inner)).toString('utf8');
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
