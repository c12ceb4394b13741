import { describe, expect, it, vi } from 'vitest';
import { compileWat } from '../../../testing/wasm-fixtures.js';
import { DEFAULT_REQUESTS } from './default-requests.js';
import { type TrialPosition, failTrace, performTrial } from './perform-trial.js';
import { PIPELINE_TRIAL_LIMITS } from './trial-limits.js';
import type { SyntheticRequest, TrialRequest, TrialTrace } from './trial-types.js';
import { PluginWat, RET, pairsBytes } from '../test/proxy-wasm-wat.js';

/** A TrialWatch that remembers every call into the module and every checkpoint. */
function recordingWatch() {
  const entered: { callback: string; at: TrialPosition }[] = [];
  const checkpoints: TrialTrace[] = [];
  let open = 0;
  let left = 0;
  return {
    entered,
    checkpoints,
    get open() {
      return open;
    },
    get left() {
      return left;
    },
    enter(callback: string, at: TrialPosition) {
      entered.push({ callback, at: { ...at } });
      open++;
    },
    leave() {
      open--;
      left++;
    },
    checkpoint(trace: TrialTrace) {
      checkpoints.push(structuredClone(trace));
    },
  };
}

async function trial(wat: string, request: Partial<TrialRequest> = {}) {
  const module = await compileWat(wat);
  const watch = recordingWatch();
  const trace = performTrial(
    {
      module,
      configurations: [{ name: 'default', text: '{"mode":"test"}' }],
      vmConfiguration: '',
      rootId: 'test-root',
      limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 0 },
      ...request,
    },
    watch,
  );
  return { trace, watch };
}

const messages = (logs: { message: string }[]): string[] => logs.map((l) => l.message);

const UPLOAD: SyntheticRequest = {
  name: 'POST /upload',
  method: 'POST',
  path: '/upload',
  headers: [
    ['user-agent', 'curl/8.5.0'],
    ['accept', '*/*'],
  ],
  body: '{"password":"x"}',
  trailers: [['x-trailer', 't']],
  response: { status: 200, headers: [['content-type', 'text/plain'], ['cache-control', 'no-store']], body: 'ok', trailers: [] },
};

describe('linking, as Envoy links', () => {
  it('names every import the host does not provide and refuses to start', async () => {
    const m = new PluginWat();
    const { trace } = await trial(
      m.build({ extraImports: ['(import "env" "foo" (func))', '(import "other" "bar" (func (param i32)))'], body: '' }),
    );
    expect(trace.start).toMatchObject({
      linked: false,
      unknownImports: ['env.foo', 'other.bar'],
      failure: { kind: 'link', callback: null, message: 'Failed to load Wasm module due to a missing import: env.foo, other.bar' },
    });
    expect(trace.findings.map((f) => f.code)).toEqual(['trial_start_failed']);
    expect(trace.configurations).toEqual([]);
  });

  it('refuses a module without an ABI marker, or without an allocator, with the C++ host\'s words', async () => {
    const noMarker = await trial(new PluginWat().build({ abi: null, body: '' }));
    expect(noMarker.trace.start.failure).toEqual({ kind: 'link', callback: null, message: 'Missing or unknown Proxy-Wasm ABI version' });
    expect(noMarker.trace.host.abiVersion).toBeNull();
    const noAllocator = await trial(new PluginWat().build({ allocator: 'none', body: '' }));
    expect(noAllocator.trace.start.failure).toEqual({ kind: 'link', callback: null, message: 'Wasm module is missing malloc function.' });
    const malloc = await trial(new PluginWat().build({ allocator: 'malloc', body: '' }));
    expect(malloc.trace.start).toMatchObject({ linked: true, failure: null });
  });

  it('refuses an import whose type differs from the host function\'s', async () => {
    const { trace } = await trial(new PluginWat().build({ extraImports: ['(import "env" "proxy_get_status" (func (param i32) (result i32)))'], body: '' }));
    expect(trace.start.failure).toEqual({
      kind: 'link',
      callback: null,
      message: 'Failed to load Wasm module due to an import type mismatch: env.proxy_get_status, want: i32 -> i32, but host exports: i32 i32 i32 -> i32',
    });
  });

  it('reports bad_signature for a header callback shaped for the other ABI version', async () => {
    const twoParams = '(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))';
    const threeParams = '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))';
    for (const [abi, body] of [['0.2.1', twoParams], ['0.2.0', twoParams], ['0.1.0', threeParams]] as const) {
      const { trace } = await trial(new PluginWat().build({ abi, body }));
      expect(trace.start.failure).toEqual({
        kind: 'bad_signature',
        callback: 'proxy_on_request_headers',
        message: 'Bad function signature for: proxy_on_request_headers',
      });
      expect(trace.findings.map((f) => f.code)).toEqual(['trial_start_failed']);
    }
    const tick = await trial(new PluginWat().build({ body: '(func (export "proxy_on_tick") (param i32) (result i32) (i32.const 0))' }));
    expect(tick.trace.start.failure?.kind).toBe('bad_signature');
  });
});

describe('the ABI a module declares', () => {
  /** The same plugin text for both versions: pauses on request headers, calls out, resumes from the answer. */
  function pausingPlugin(abi: '0.1.0' | '0.2.0' | '0.2.1', resumeWith: 'proxy_continue_request' | 'proxy_continue_stream'): string {
    const m = new PluginWat();
    const headerParams = abi === '0.1.0' ? '(param $c i32) (param $n i32)' : '(param $c i32) (param $n i32) (param $eos i32)';
    const logEos = abi === '0.1.0' ? '' : '(call $log_code (local.get $eos))';
    const resume = resumeWith === 'proxy_continue_request' ? '(call $proxy_continue_request)' : '(call $proxy_continue_stream (i32.const 0))';
    return m.build({
      abi,
      env: ['proxy_http_call', 'proxy_set_effective_context', resumeWith],
      body: `
  (func (export "proxy_on_request_headers") ${headerParams} (result i32)
    ${logEos}
    (drop (call $proxy_http_call ${m.str('auth')} ${m.str(pairsBytes([[':path', '/check']]))} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const ${RET.word})))
    (i32.const 1))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
    (drop (call $proxy_set_effective_context (global.get $ctx)))
    (call $log_code ${resume}))`,
    });
  }

  it('0.1.0 resumes with proxy_continue_request and 0.2.x with proxy_continue_stream, each getting its own header callback arguments', async () => {
    const old = await trial(pausingPlugin('0.1.0', 'proxy_continue_request'));
    const current = await trial(pausingPlugin('0.2.1', 'proxy_continue_stream'));
    for (const { trace } of [old, current]) {
      expect(trace.start.failure).toBeNull();
      expect(trace.requests.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
      expect(trace.requests[0]!.steps.slice(0, 2)).toEqual([
        { callback: 'proxy_on_request_headers', action: 'Pause' },
        { callback: 'proxy_on_http_call_response', action: null },
      ]);
    }
    expect(old.trace.host.abiVersion).toBe('0.1.0');
    expect(messages(old.trace.requests[0]!.logs)).toEqual(['00']);
    // 0.2.x passes end_of_stream: 1 for a GET without body, 0 for the POST with one.
    expect(current.trace.requests.map((r) => messages(r.logs))).toEqual([['01', '00'], ['00', '00'], ['01', '00']]);
  });

  it('takes the first ABI marker in export order, as the C++ host does', async () => {
    const both = new PluginWat().build({ abi: '0.1.0', body: '(func (export "proxy_abi_version_0_2_1"))' });
    expect((await trial(both)).trace.host.abiVersion).toBe('0.1.0');
  });

  it('links each version\'s own functions only', async () => {
    const continueRequestIn021 = await trial(pausingPlugin('0.2.1', 'proxy_continue_request'));
    expect(continueRequestIn021.trace.start.unknownImports).toEqual(['env.proxy_continue_request']);
    const continueStreamIn010 = await trial(pausingPlugin('0.1.0', 'proxy_continue_stream'));
    expect(continueStreamIn010.trace.start.unknownImports).toEqual(['env.proxy_continue_stream']);
    const logLevel = (abi: string) =>
      new PluginWat().build({
        abi,
        env: ['proxy_get_log_level'],
        body: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (call $log_code (call $proxy_get_log_level (i32.const ${RET.word})))
    (call $log_code (i32.load (i32.const ${RET.word})))
    (i32.const 1))`,
      });
    expect((await trial(logLevel('0.2.0'))).trace.start.unknownImports).toEqual(['env.proxy_get_log_level']);
    const v021 = await trial(logLevel('0.2.1'));
    expect(messages(v021.trace.start.logs)).toEqual(['00', '02']); // Ok, info
  });
});

describe('what a request tells', () => {
  it('reports headers added, replaced and removed on each side, bodies read and changed, trailers', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_add_header_map_value', 'proxy_replace_header_map_value', 'proxy_remove_header_map_value', 'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_add_header_map_value (i32.const 0) ${m.str('X-Added')} ${m.str('yes')}))
    (drop (call $proxy_replace_header_map_value (i32.const 0) ${m.str('user-agent')} ${m.str('sandbox-test')}))
    (drop (call $proxy_remove_header_map_value (i32.const 0) ${m.str('accept')}))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param $c i32) (param $size i32) (param $eos i32) (result i32)
    (call $log_code (call $proxy_get_buffer_bytes (i32.const 0) (i32.const 0) (local.get $size) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_returned)
    (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (local.get $size) ${m.str('{"redacted":true}')}))
    (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32)
    (drop (call $proxy_add_header_map_value (i32.const 1) ${m.str('x-checksum')} ${m.str('abc')}))
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_add_header_map_value (i32.const 2) ${m.str('x-resp')} ${m.str('1')}))
    (drop (call $proxy_remove_header_map_value (i32.const 2) ${m.str('cache-control')}))
    (i32.const 0))`,
    });
    const { trace } = await trial(wat, { requests: [UPLOAD] });
    const [upload] = trace.requests;
    expect(upload).toMatchObject({
      name: 'POST /upload',
      outcome: 'completed',
      failure: null,
      request: {
        headers: { added: [['x-added', 'yes']], replaced: [['user-agent', 'curl/8.5.0', 'sandbox-test']], removed: ['accept'] },
        bodyChanged: true,
        trailers: { added: [['x-checksum', 'abc']], replaced: [], removed: [] },
      },
      response: {
        headers: { added: [['x-resp', '1']], replaced: [], removed: ['cache-control'] },
        bodyChanged: false,
        trailers: { added: [], replaced: [], removed: [] },
      },
      localResponse: null,
    });
    expect(upload!.steps).toEqual([
      { callback: 'proxy_on_request_headers', action: 'Continue' },
      { callback: 'proxy_on_request_body', action: 'Continue' },
      { callback: 'proxy_on_request_trailers', action: 'Continue' },
      { callback: 'proxy_on_response_headers', action: 'Continue' },
    ]);
    expect(messages(upload!.logs)).toEqual(['00', '{"password":"x"}']);
  });

  it('records a local response, which ends the request and still passes the response callbacks', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_send_local_response'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $log_code (call $proxy_send_local_response (i32.const 401) ${m.str('denied')} ${m.str('no')} ${m.str(pairsBytes([['www-authenticate', 'Bearer']]))} (i32.const -1)))
    (i32.const 1))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (call $log ${m.str('body seen')}) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (call $log ${m.str('response headers')}) (i32.const 0))
  (func (export "proxy_on_log") (param i32))`,
    });
    const { trace } = await trial(wat);
    const login = trace.requests[1]!;
    expect(login.outcome).toBe('local_response');
    expect(login.localResponse).toEqual({
      status: 401,
      details: 'denied',
      headers: [['www-authenticate', 'Bearer']],
      body: 'no',
      grpcStatus: null,
      callback: 'proxy_on_request_headers',
    });
    expect(login.steps).toEqual([
      { callback: 'proxy_on_request_headers', action: 'Pause' },
      { callback: 'proxy_on_response_headers', action: 'Continue' },
      { callback: 'proxy_on_log', action: null },
    ]);
    expect(messages(login.logs)).toEqual(['00', 'response headers']);
  });

  it('holds a request whose headers paused and nobody continued; a body held for its trailers goes on', async () => {
    const m = new PluginWat();
    // Pauses the headers of a request without a body; holds any body (1: StopIterationAndBuffer).
    const wat = m.build({
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32) (param $eos i32) (result i32) (local.get $eos))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))`,
    });
    const { trace } = await trial(wat, { requests: [DEFAULT_REQUESTS[0]!, UPLOAD, { ...UPLOAD, name: 'no trailers', trailers: [] }] });
    expect(trace.requests.map((r) => [r.name, r.outcome, r.steps.map((s) => `${s.callback.replace('proxy_on_', '')}:${s.action}`)])).toEqual([
      ['GET /', 'paused', ['request_headers:Pause', 'done:null']],
      ['POST /upload', 'completed', ['request_headers:Continue', 'request_body:Pause', 'request_trailers:Continue', 'done:null']],
      ['no trailers', 'paused', ['request_headers:Continue', 'request_body:Pause', 'done:null']],
    ]);
  });

  function callingOutPlugin(): string {
    const m = new PluginWat();
    return m.build({
      env: ['proxy_http_call', 'proxy_set_effective_context', 'proxy_continue_stream', 'proxy_send_local_response', 'proxy_get_buffer_bytes', 'proxy_get_header_map_value'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $log_code (call $proxy_http_call ${m.str('auth-cluster')}
      ${m.str(pairsBytes([[':method', 'GET'], [':path', '/check'], [':authority', 'auth']]))}
      ${m.str('token=1')} ${m.str(pairsBytes([]))} (i32.const 500) (i32.const ${RET.word})))
    (i32.const 1))
  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (drop (call $proxy_set_effective_context (global.get $ctx)))
    (if (i32.eqz (local.get $headers))
      (then (drop (call $proxy_send_local_response (i32.const 503) ${m.str('auth_unreachable')} ${m.str('')} ${m.str(pairsBytes([]))} (i32.const -1))))
      (else
        (drop (call $proxy_get_header_map_value (i32.const 6) ${m.str(':status')} (i32.const ${RET.ptr}) (i32.const ${RET.size})))
        (call $log_returned)
        (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (local.get $body) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
        (call $log_returned)
        (drop (call $proxy_continue_stream (i32.const 0))))))`,
    });
  }

  it('records an http_call and answers it as an unreachable cluster by default', async () => {
    const { trace } = await trial(callingOutPlugin());
    const first = trace.requests[0]!;
    expect(first.callsOut).toEqual([
      {
        kind: 'http',
        upstream: 'auth-cluster',
        headers: [[':method', 'GET'], [':path', '/check'], [':authority', 'auth']],
        body: 'token=1',
        timeoutMs: 500,
        answer: 'failure',
        callback: 'proxy_on_request_headers',
      },
    ]);
    expect(first.outcome).toBe('local_response');
    expect(first.localResponse).toMatchObject({ status: 503, details: 'auth_unreachable', callback: 'proxy_on_http_call_response' });
  });

  it('answers an http_call from a stubbed upstream, and the answer resumes the paused request', async () => {
    const { trace } = await trial(callingOutPlugin(), {
      upstreams: { 'auth-cluster': { kind: 'answer', status: 200, headers: [['content-type', 'text/plain']], body: 'allowed' } },
    });
    const first = trace.requests[0]!;
    expect(first.callsOut[0]!.answer).toEqual({ status: 200 });
    expect(first.outcome).toBe('completed');
    expect(messages(first.logs)).toEqual(['00', '200', 'allowed']);
    expect(first.steps.map((s) => s.callback)).toEqual(['proxy_on_request_headers', 'proxy_on_http_call_response']);
  });

  it('records gRPC calls and closes them UNAVAILABLE by default', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_grpc_call', 'proxy_get_status'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $log_code (call $proxy_grpc_call ${m.str('grpc-cluster')} ${m.str('pkg.Auth')} ${m.str('Check')} ${m.str(pairsBytes([['x-tenant', 'a']]))} ${m.str('msg')} (i32.const 1000) (i32.const ${RET.word})))
    (i32.const 0))
  (func (export "proxy_on_grpc_close") (param i32 i32) (param $status i32)
    (call $log_code (local.get $status))
    (drop (call $proxy_get_status (i32.const ${RET.word}) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_code (i32.load (i32.const ${RET.word}))))`,
    });
    const { trace } = await trial(wat);
    expect(trace.requests[0]!.callsOut).toEqual([
      {
        kind: 'grpc',
        upstream: 'grpc-cluster',
        headers: [['grpc-service', 'pkg.Auth'], ['grpc-method', 'Check'], ['x-tenant', 'a']],
        body: 'msg',
        timeoutMs: 1000,
        answer: 'failure',
        callback: 'proxy_on_request_headers',
      },
    ]);
    expect(messages(trace.requests[0]!.logs)).toEqual(['00', '14', '14']);
  });

  it('reads the fixed properties and answers NotFound for others', async () => {
    const m = new PluginWat();
    const get = (path: string) =>
      `(call $log_code (call $proxy_get_property ${m.str(path)} (i32.const ${RET.ptr}) (i32.const ${RET.size})))`;
    const wat = m.build({
      env: ['proxy_get_property'],
      body: `
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    ${get('request\0path')}
    ${get('plugin_root_id')} (call $log_returned)
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    ${get('request\0path')} (call $log_returned)
    ${get('node\0metadata\0NAMESPACE')} (call $log_returned)
    ${get('no\0such\0thing')}
    (i32.const 0))`,
    });
    const { trace } = await trial(wat);
    expect(messages(trace.configurations[0]!.logs)).toEqual(['01', '00', 'test-root']);
    expect(messages(trace.requests[2]!.logs)).toEqual(['00', '/api/orders?limit=10', '00', 'default', '01']);
  });
});

describe('state the host keeps', () => {
  it('defines, changes and reads back metrics', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric'],
      body: `
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $proxy_define_metric (i32.const 0) ${m.str('requests_total')} (i32.const 100)))
    (drop (call $proxy_define_metric (i32.const 1) ${m.str('inflight')} (i32.const 104)))
    (drop (call $proxy_define_metric (i32.const 2) ${m.str('latency')} (i32.const 108)))
    (call $log_code (call $proxy_define_metric (i32.const 3) ${m.str('bad')} (i32.const 112)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_increment_metric (i32.load (i32.const 100)) (i64.const 1)))
    (drop (call $proxy_record_metric (i32.load (i32.const 104)) (i64.const 7)))
    (drop (call $proxy_record_metric (i32.load (i32.const 108)) (i64.const 42)))
    (drop (call $proxy_get_metric (i32.load (i32.const 100)) (i32.const ${RET.u64})))
    (call $log_code (i32.wrap_i64 (i64.load (i32.const ${RET.u64}))))
    (call $log_code (call $proxy_increment_metric (i32.load (i32.const 108)) (i64.const 1)))
    (call $log_code (call $proxy_get_metric (i32.const 999) (i32.const ${RET.u64})))
    (i32.const 0))`,
    });
    // Cost passes repeat the first request; the metrics shown are the trial's own.
    const { trace } = await trial(wat, { limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 10 } });
    expect(trace.cost?.samples).toBe(10);
    expect(messages(trace.configurations[0]!.logs)).toEqual(['02']);
    expect(trace.requests.map((r) => messages(r.logs)[0])).toEqual(['01', '02', '03']);
    expect(messages(trace.requests[0]!.logs).slice(1)).toEqual(['02', '01']);
    expect(trace.metrics).toEqual([
      { name: 'requests_total', type: 'counter', value: 3, recorded: [] },
      { name: 'inflight', type: 'gauge', value: 7, recorded: [] },
      { name: 'latency', type: 'histogram', value: 3, recorded: [42, 42, 42] },
    ]);
    expect(trace.requests[1]!.metrics.map((metric) => [metric.name, metric.value])).toEqual([
      ['requests_total', 2],
      ['latency', 2],
    ]);
  });

  it('keeps shared data with compare-and-swap, and queues that notify their root context', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_get_shared_data', 'proxy_set_shared_data', 'proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_enqueue_shared_queue', 'proxy_dequeue_shared_queue'],
      body: `
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (call $log_code (call $proxy_set_shared_data ${m.str('k')} ${m.str('v1')} (i32.const 0)))
    (call $log_code (call $proxy_get_shared_data ${m.str('k')} (i32.const ${RET.ptr}) (i32.const ${RET.size}) (i32.const ${RET.word})))
    (call $log_returned)
    (call $log_code (call $proxy_set_shared_data ${m.str('k')} ${m.str('v2')} (i32.add (i32.load (i32.const ${RET.word})) (i32.const 1))))
    (call $log_code (call $proxy_set_shared_data ${m.str('k')} ${m.str('v2')} (i32.load (i32.const ${RET.word}))))
    (call $log_code (call $proxy_get_shared_data ${m.str('missing')} (i32.const ${RET.ptr}) (i32.const ${RET.size}) (i32.const ${RET.word})))
    (call $log_code (call $proxy_register_shared_queue ${m.str('q')} (i32.const 112)))
    (call $log_code (call $proxy_resolve_shared_queue ${m.str('')} ${m.str('q')} (i32.const 116)))
    (call $log_code (call $proxy_resolve_shared_queue ${m.str('')} ${m.str('nope')} (i32.const 116)))
    (call $log_code (call $proxy_enqueue_shared_queue (i32.load (i32.const 116)) ${m.str('hello')}))
    (i32.const 1))
  (func (export "proxy_on_queue_ready") (param $root i32) (param $token i32)
    (call $log_code (call $proxy_dequeue_shared_queue (local.get $token) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_returned)
    (call $log_code (call $proxy_dequeue_shared_queue (local.get $token) (i32.const ${RET.ptr}) (i32.const ${RET.size}))))`,
    });
    const { trace } = await trial(wat);
    expect(messages(trace.configurations[0]!.logs)).toEqual(['00', '00', 'v1', '08', '00', '01', '00', '00', '01', '00', '00', 'hello', '07']);
    expect(trace.sharedData).toEqual([{ key: 'k', value: 'v2' }]);
  });

  it('fires ticks a bounded number of times, only for root contexts that set a period', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_set_tick_period_milliseconds'],
      body: `
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $proxy_set_tick_period_milliseconds (i32.const 1000))) (i32.const 1))
  (func (export "proxy_on_tick") (param i32) (call $log ${m.str('tick')}))`,
    });
    const { trace } = await trial(wat, { limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 0, ticks: 2 } });
    expect(trace.ticks).toMatchObject({ fired: 2, failure: null });
    expect(trace.ticks.logs).toEqual([
      { level: 'info', message: 'tick', callback: 'proxy_on_tick' },
      { level: 'info', message: 'tick', callback: 'proxy_on_tick' },
    ]);
    const idle = await trial(new PluginWat().build({ body: '(func (export "proxy_on_tick") (param i32))' }));
    expect(idle.trace.ticks.fired).toBe(0);
  });

  it('keeps log levels, refuses an unknown one, and captures WASI stdout/stderr as logs without writing them', async () => {
    const m = new PluginWat();
    const levels = [0, 1, 2, 3, 4, 5].map((l) => `(drop (call $proxy_log (i32.const ${l}) ${m.str(`level ${l}`)}))`).join('\n    ');
    const write = (fd: number, text: string) => `
    (i32.store (i32.const 200) (i32.const ${m.ptr(text)}))
    (i32.store (i32.const 204) (i32.const ${new TextEncoder().encode(text).length}))
    (call $log_code (call $fd_write (i32.const ${fd}) (i32.const 200) (i32.const 1) (i32.const 208)))`;
    const wat = m.build({
      wasi: ['fd_write', 'fd_read', 'environ_sizes_get', 'args_sizes_get', 'path_open', 'clock_time_get', 'random_get'],
      body: `
  (func (export "_initialize")
    ${write(1, 'to stdout\n')}
    ${write(2, 'to stderr')}
    ${write(3, 'to a file')}
    (call $log_code (call $environ_sizes_get (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_code (i32.add (i32.load (i32.const ${RET.ptr})) (i32.load (i32.const ${RET.size}))))
    (call $log_code (call $args_sizes_get (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_code (i32.load (i32.const ${RET.ptr})))
    (call $log_code (call $clock_time_get (i32.const 0) (i64.const 1000) (i32.const ${RET.u64})))
    (call $log_code (i64.gt_u (i64.load (i32.const ${RET.u64})) (i64.const 1700000000000000000)))
    (call $log_code (call $random_get (i32.const 300) (i32.const 16))))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    ;; Not allowed during _initialize (the C++ host traps: restricted_callback), allowed now.
    (call $log_code (call $path_open (i32.const 3) (i32.const 0) ${m.str('/etc/passwd')} (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const ${RET.word})))
    (call $log_code (call $fd_read (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 208)))
    ${levels}
    (call $log_code (call $proxy_log (i32.const 6) ${m.str('level 6')}))
    (i32.const 1))`,
    });
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const { trace } = await trial(wat);
    const written = [...stdout.mock.calls, ...stderr.mock.calls].map((c) => String(c[0]));
    stdout.mockRestore();
    stderr.mockRestore();
    expect(written.filter((w) => w.includes('to stdout') || w.includes('to stderr'))).toEqual([]);
    expect(trace.start.entryPoint).toBe('_initialize');
    expect(trace.start.logs.map((l) => [l.level, l.message, l.callback])).toEqual([
      ['info', 'to stdout', '_initialize'],
      ['info', '00', '_initialize'],
      ['error', 'to stderr', '_initialize'],
      ['info', '00', '_initialize'],
      ['info', '08', '_initialize'], // EBADF: only stdout and stderr
      ['info', '00', '_initialize'],
      ['info', '00', '_initialize'], // no environment
      ['info', '00', '_initialize'],
      ['info', '00', '_initialize'], // no arguments
      ['info', '00', '_initialize'],
      ['info', '01', '_initialize'], // the clock is real
      ['info', '00', '_initialize'],
      ['info', '44', 'proxy_on_vm_start'], // ENOENT: no preopened directory
      ['info', '52', 'proxy_on_vm_start'], // ENOSYS: no reading
      ['trace', 'level 0', 'proxy_on_vm_start'],
      ['debug', 'level 1', 'proxy_on_vm_start'],
      ['info', 'level 2', 'proxy_on_vm_start'],
      ['warn', 'level 3', 'proxy_on_vm_start'],
      ['error', 'level 4', 'proxy_on_vm_start'],
      ['critical', 'level 5', 'proxy_on_vm_start'],
      ['info', '02', 'proxy_on_vm_start'], // BadArgument
    ]);
  });
});

describe('hostile modules', () => {
  it('answers out-of-range pointers and lengths with InvalidMemoryAccess, never an exception', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_get_header_map_value', 'proxy_add_header_map_value', 'proxy_http_call', 'proxy_get_property', 'proxy_set_buffer_bytes', 'proxy_get_header_map_pairs'],
      wasi: ['fd_write'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $log_code (call $proxy_log (i32.const 2) (i32.const -16) (i32.const 100)))
    (call $log_code (call $proxy_log (i32.const 2) (i32.const 16) (i32.const -1)))
    (call $log_code (call $proxy_get_header_map_value (i32.const 0) ${m.str(':path')} (i32.const -4) (i32.const ${RET.size})))
    (call $log_code (call $proxy_get_header_map_pairs (i32.const 0) (i32.const ${RET.ptr}) (i32.const 262142)))
    (call $log_code (call $proxy_add_header_map_value (i32.const 0) (i32.const 2147483647) (i32.const 5) ${m.str('v')}))
    (call $log_code (call $proxy_http_call ${m.str('c')} (i32.const 0) (i32.const 2147483647) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const ${RET.word})))
    (call $log_code (call $proxy_http_call ${m.str('c')} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -2)))
    (call $log_code (call $proxy_get_property (i32.const 262140) (i32.const 10) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_code (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 10)))
    (i32.store (i32.const 200) (i32.const -100)) (i32.store (i32.const 204) (i32.const 1000))
    (call $log_code (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208)))
    (i32.const 0))`,
    });
    const { trace } = await trial(wat);
    const first = trace.requests[0]!;
    expect(first).toMatchObject({ outcome: 'completed', failure: null, callsOut: [] });
    expect(messages(first.logs)).toEqual(['06', '06', '06', '06', '06', '06', '06', '06', '06', '21']);
  });

  it('stops a callback whose memory grew past the cap, defined or imported, as out of memory', async () => {
    const grow = '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (drop (memory.grow (i32.const 60))) (i32.const 0))';
    const limits = { ...PIPELINE_TRIAL_LIMITS, costSamples: 0, memoryMb: 2 };
    const defined = await trial(new PluginWat().build({ body: grow }), { limits });
    expect(defined.trace.requests[0]!.failure).toEqual({
      kind: 'out_of_memory',
      callback: 'proxy_on_request_headers',
      message: 'linear memory grew to 4 MiB, over the cap of 2 MiB',
    });
    // An imported memory gets the cap as its maximum: growing past it fails inside the module (-1), nothing is allocated.
    const imported = await trial(new PluginWat().build({ memory: { imported: true }, body: grow }), { limits });
    expect(imported.trace.start.linked).toBe(true);
    expect(imported.trace.requests.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
    const tooBig = await trial(new PluginWat().build({ memory: { imported: true }, body: grow }), { limits: { ...limits, memoryMb: 0.1 } });
    expect(tooBig.trace.start.failure).toMatchObject({ kind: 'link', message: expect.stringContaining('env.memory: its initial size (4 pages) is over the cap of 1 pages') });
  });

  it('bounds and counts 100,000 calls out from one callback, quickly', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_http_call'],
      body: `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (local $i i32)
    (loop $again
      (drop (call $proxy_http_call ${m.str('flood')} ${m.str(pairsBytes([[':path', '/']]))} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 10) (i32.const ${RET.word})))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 100000))))
    (i32.const 0))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))`,
    });
    const began = performance.now();
    const { trace } = await trial(wat, { requests: [DEFAULT_REQUESTS[0]!] });
    const elapsed = performance.now() - began;
    expect(trace.requests[0]!.callsOut).toHaveLength(50);
    expect(trace.omitted.callsOut).toBe(100_000 - 50);
    // Answers go to the first 200 calls; the rest are counted, as are the callbacks beyond the steps' bound.
    expect(trace.omitted.callAnswers).toBe(100_000 - 200);
    expect(trace.requests[0]!.steps).toHaveLength(64);
    expect(trace.omitted.steps).toBe(1 + 200 - 64);
    expect(trace.hostCalls).toBeGreaterThanOrEqual(100_000);
    expect(trace.requests[0]!.outcome).toBe('completed');
    expect(JSON.stringify(trace).length).toBeLessThan(100_000);
    expect(elapsed).toBeLessThan(5000);
  });

  it('reports a trap with its callback, fails that request and goes on with the next', async () => {
    const m = new PluginWat();
    const wat = m.build({
      body: `
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (unreachable))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))`,
    });
    const { trace } = await trial(wat);
    expect(trace.requests.map((r) => r.outcome)).toEqual(['completed', 'failed', 'completed']);
    expect(trace.requests[1]!.failure).toEqual({ kind: 'trap', callback: 'proxy_on_request_body', message: 'unreachable' });
    expect(trace.findings).toEqual([]);
  });

  it('finds trial_start_failed for a trap at start, a restricted call at start, or vm_start refusing', async () => {
    const trapAtInit = await trial(new PluginWat().build({ body: '(func (export "_initialize") (unreachable))' }));
    expect(trapAtInit.trace.start.failure).toEqual({ kind: 'trap', callback: '_initialize', message: 'unreachable' });
    expect(trapAtInit.trace.findings.map((f) => f.code)).toEqual(['trial_start_failed']);
    expect(trapAtInit.trace.configurations).toEqual([]);

    const m = new PluginWat();
    const callsOutAtStart = await trial(
      m.build({
        env: ['proxy_http_call'],
        body: `(func (export "_start") (drop (call $proxy_http_call ${m.str('c')} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const ${RET.word}))))`,
      }),
    );
    expect(callsOutAtStart.trace.start.failure).toMatchObject({ kind: 'trap', callback: '_start', message: expect.stringContaining('restricted_callback') });

    const refusing = await trial(new PluginWat().build({ body: '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))' }));
    expect(refusing.trace.start).toMatchObject({ linked: true, vmStarted: false, failure: null });
    expect(refusing.trace.findings[0]).toMatchObject({ code: 'trial_start_failed', message: expect.stringContaining('proxy_on_vm_start returned false') });
  });

  it('configures each configuration in its own root context, sends traffic under the first accepted, finds when all are refused', async () => {
    const m = new PluginWat();
    // Refuses a configuration starting with "b".
    const wat = m.build({
      env: ['proxy_get_buffer_bytes'],
      body: `
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (i32.ne (i32.load8_u (i32.load (i32.const ${RET.ptr}))) (i32.const 98)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $log_code (global.get $root)) (i32.const 0))`,
    });
    const mixed = await trial(wat, { configurations: [{ name: 'bad', text: 'bad' }, { name: 'good', text: 'good' }] });
    expect(mixed.trace.configurations.map((c) => [c.name, c.accepted])).toEqual([['bad', false], ['good', true]]);
    expect(mixed.trace.findings).toEqual([]);
    expect(messages(mixed.trace.requests[0]!.logs)).toEqual(['02']); // the second root context
    const refused = await trial(wat, { configurations: [{ name: 'bad', text: 'bad' }, { name: 'worse', text: 'broken' }] });
    expect(refused.trace.findings.map((f) => f.code)).toEqual(['trial_configuration_refused']);
    expect(refused.trace.requests).toEqual([]);
  });

  it('runs a network filter through a connection', async () => {
    const m = new PluginWat();
    const wat = m.build({
      env: ['proxy_get_buffer_bytes', 'proxy_set_buffer_bytes'],
      body: `
  (func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param $c i32) (param $size i32) (param $eos i32) (result i32)
    (drop (call $proxy_get_buffer_bytes (i32.const 2) (i32.const 0) (i32.const 3) (i32.const ${RET.ptr}) (i32.const ${RET.size})))
    (call $log_returned)
    (drop (call $proxy_set_buffer_bytes (i32.const 2) (i32.const ${1 << 20}) (i32.const 0) ${m.str('+tail')}))
    (i32.const 0))
  (func (export "proxy_on_downstream_connection_close") (param i32 i32))`,
    });
    const { trace } = await trial(wat);
    expect(trace.filterType).toBe('network');
    expect(trace.requests).toEqual([]);
    expect(trace.connections).toEqual([
      {
        name: 'connection',
        steps: [
          { callback: 'proxy_on_context_create', action: null },
          { callback: 'proxy_on_new_connection', action: 'Continue' },
          { callback: 'proxy_on_downstream_data', action: 'Continue' },
          { callback: 'proxy_on_downstream_connection_close', action: null },
        ],
        downstreamDataChanged: true,
        upstreamDataChanged: false,
        callsOut: [],
        logs: [{ level: 'info', message: 'GET', callback: 'proxy_on_downstream_data' }],
        outcome: 'completed',
        failure: null,
      },
    ]);
  });
});

describe('cost and checkpoints', () => {
  const plain = () => new PluginWat().build({ body: '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))' });

  it('measures CPU time per request and memory after start when asked', async () => {
    const { trace } = await trial(plain(), { limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 10 } });
    expect(trace.cost).toMatchObject({ samples: 10, memoryBytesAfterStart: 4 * 65536, caveat: expect.stringContaining('not a latency promise') });
    expect(trace.cost!.p95Micros).toBeGreaterThanOrEqual(trace.cost!.medianMicros);
    expect(trace.cost!.medianMicros).toBeGreaterThan(0);
    expect((await trial(plain())).trace.cost).toBeNull();
  });

  it('tells the watch before every call and checkpoints each item, so failTrace can place a failure the runner saw', async () => {
    const { trace, watch } = await trial(plain());
    expect(watch.open).toBe(0);
    expect(watch.left).toBe(watch.entered.length);
    expect(watch.entered.map((e) => `${e.at.section}#${e.at.index}:${e.callback}`).slice(0, 7)).toEqual([
      'start#0:(instantiate)',
      'start#0:proxy_on_context_create',
      'requests#0:proxy_on_context_create',
      'requests#0:proxy_on_request_headers',
      'requests#1:proxy_on_context_create',
      'requests#1:proxy_on_request_headers',
      'requests#2:proxy_on_context_create',
    ]);
    // The checkpoint taken when the second request began: the runner's last word if the thread were killed then.
    const atSecond = watch.checkpoints.find((c) => c.requests.length === 2)!;
    expect(atSecond.requests[1]!.steps).toEqual([]);
    const failed = failTrace(atSecond, { section: 'requests', index: 1 }, { kind: 'timeout', callback: 'proxy_on_request_headers', message: 'ran over 1000 ms' });
    expect(failed.requests[1]).toMatchObject({ name: 'POST /login', outcome: 'failed', failure: { kind: 'timeout' } });
    expect(atSecond.requests[1]!.failure).toBeNull(); // the checkpoint itself is left alone

    const atStart = failTrace(watch.checkpoints[0]!, { section: 'start', index: 0 }, { kind: 'out_of_memory', callback: '_initialize', message: 'heap' });
    expect(atStart.findings.map((f) => f.code)).toEqual(['trial_start_failed']);
    const atConfigure = failTrace(
      watch.checkpoints.find((c) => c.configurations.length === 1)!,
      { section: 'configurations', index: 0 },
      { kind: 'timeout', callback: 'proxy_on_configure', message: 'ran over 1000 ms' },
    );
    expect(atConfigure.findings.map((f) => f.code)).toEqual(['trial_configuration_refused']);
  });
});
