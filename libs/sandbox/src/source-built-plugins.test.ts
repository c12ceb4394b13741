import { describe, expect, it } from 'vitest';
import {
  AUTH_GATE_CONFIGURATION,
  BODY_MASK_CONFIGURATION,
  clangAuthGatePlugin,
  rustBodyMaskPlugin,
} from '../../../testing/sandbox-plugins.js';
import { assemblyScriptProxyWasmFilter } from '../../../testing/sdk-fixtures.js';
import { DEFAULT_REQUESTS } from './default-requests.js';
import { performTrial, type TrialWatch } from './perform-trial.js';
import { runTrial } from './trial-runner.js';
import { PIPELINE_TRIAL_LIMITS } from './trial-limits.js';
import type { RequestTrace, StubbedAnswer, SyntheticRequest, TrialRequest, TrialTrace } from './trial-types.js';

// Plugins built from source by real toolchains (testing/sandbox-plugins/, the AssemblyScript SDK), run in the
// sandbox host; their traces are what the registry shows operators, so they are asserted line by line.

const watchNothing: TrialWatch = { enter() {}, leave() {}, checkpoint() {} };

// No cost passes: the metrics at the end then count the synthetic requests only.
const LIMITS = { ...PIPELINE_TRIAL_LIMITS, ticks: 2, costSamples: 0 };

function trial(module: Uint8Array, request: Partial<Omit<TrialRequest, 'module'>>): TrialTrace {
  return performTrial(
    { module, configurations: [], vmConfiguration: '', rootId: '', limits: LIMITS, ...request },
    watchNothing,
  );
}

function requestNamed(trace: TrialTrace, name: string): RequestTrace {
  const found = trace.requests.find((request) => request.name === name);
  if (!found) throw new Error(`no request ${name} in ${trace.requests.map((r) => r.name).join(', ')}`);
  return found;
}

const byKey = (entries: { key: string; value: string }[]) => [...entries].sort((a, b) => a.key.localeCompare(b.key));
const metricValues = (trace: { metrics: { name: string; value: number }[] }) =>
  Object.fromEntries(trace.metrics.map((metric) => [metric.name, metric.value]));
const callbacks = (request: RequestTrace) => request.steps.map((step) => `${step.callback}:${step.action}`);

const UPSTREAM_RESPONSE: SyntheticRequest['response'] = {
  status: 200,
  headers: [['content-type', 'application/json'], ['cache-control', 'max-age=60'], ['server', 'orders/2.1']],
  body: '{"orders":[]}',
  trailers: [],
};

function get(path: string, headers: [string, string][]): SyntheticRequest {
  return { name: `GET ${path}`, method: 'GET', path, headers: [['accept', 'application/json'], ...headers], body: '', trailers: [], response: UPSTREAM_RESPONSE };
}

const AUTH_REQUESTS: SyntheticRequest[] = [
  get('/', []),
  get('/admin/users', [['authorization', 'Bearer admin-token']]),
  {
    name: 'POST /login',
    method: 'POST',
    path: '/login',
    headers: [['content-type', 'application/json']],
    body: '{"user":"alice"}',
    trailers: [],
    response: UPSTREAM_RESPONSE,
  },
  get('/api/orders', [['authorization', 'Bearer token-123']]),
];

const AUTHZ_ALLOWS: StubbedAnswer = { kind: 'answer', status: 200, headers: [['x-auth-user', 'alice']], body: '{"allow":true}' };

describe('auth-gate (C, clang wasm32-wasi reactor, ABI 0.2.1) in the sandbox', () => {
  const authGate = async (request: Partial<Omit<TrialRequest, 'module'>> = {}) =>
    trial((await clangAuthGatePlugin()).bytes, {
      configurations: [
        { name: 'no upstream', text: '{"public_prefix":"/x"}' },
        { name: 'default', text: AUTH_GATE_CONFIGURATION },
      ],
      rootId: 'auth_gate',
      requests: AUTH_REQUESTS,
      upstreams: { authz: AUTHZ_ALLOWS },
      ...request,
    });

  it('starts through _initialize, refuses a configuration without an upstream and accepts the default', async () => {
    const trace = await authGate();
    expect(trace.host.abiVersion).toBe('0.2.1');
    expect(trace.filterType).toBe('http');
    expect(trace.start).toEqual({
      linked: true,
      unknownImports: [],
      entryPoint: '_initialize',
      vmStarted: true,
      logs: [{ level: 'info', message: 'auth-gate VM started (vm configuration: 0 bytes)', callback: 'proxy_on_vm_start' }],
      failure: null,
    });
    expect(trace.configurations).toEqual([
      {
        name: 'no upstream',
        accepted: false,
        logs: [{ level: 'error', message: 'configuration refused: expected {"upstream": "<cluster>"}, got 22 bytes', callback: 'proxy_on_configure' }],
        failure: null,
      },
      {
        name: 'default',
        accepted: true,
        // A fresh root context is started before it is configured, as Envoy does for each plugin.
        logs: [
          { level: 'info', message: 'auth-gate VM started (vm configuration: 0 bytes)', callback: 'proxy_on_vm_start' },
          { level: 'info', message: 'plugin auth_gate configured: upstream authz, public prefix /login', callback: 'proxy_on_configure' },
        ],
        failure: null,
      },
    ]);
    expect(trace.findings).toEqual([]);
  });

  it('answers 401 itself when there is no Authorization header, and its response callback still runs on that answer', async () => {
    const trace = await authGate();
    const request = requestNamed(trace, 'GET /');
    expect(request.outcome).toBe('local_response');
    expect(request.localResponse).toEqual({
      status: 401,
      details: 'auth_gate_missing_authorization',
      headers: [['www-authenticate', 'Bearer realm="plugins"'], ['x-denied-by', 'auth-gate']],
      body: 'missing credentials\n',
      // The module passed -1: no gRPC status.
      grpcStatus: null,
      callback: 'proxy_on_request_headers',
    });
    expect(callbacks(request)).toEqual([
      'proxy_on_request_headers:Pause',
      'proxy_on_response_headers:Continue',
      'proxy_on_done:null',
      'proxy_on_log:null',
      'proxy_on_delete:null',
    ]);
    // The local response has no cache-control or server header: replacing one adds it.
    expect(request.response.headers).toEqual({ added: [['cache-control', 'no-store']], replaced: [], removed: [] });
    expect(request.request.headers).toEqual({ added: [], replaced: [], removed: [] });
    expect(request.callsOut).toEqual([]);
    expect(request.logs).toEqual([
      // :method, :path, :authority, :scheme and accept
      { level: 'debug', message: 'request headers: 5 headers, path /', callback: 'proxy_on_request_headers' },
      { level: 'warn', message: 'denied /: no authorization header', callback: 'proxy_on_request_headers' },
      { level: 'trace', message: 'logged request 1 (cas 0, result 0)', callback: 'proxy_on_log' },
    ]);
    expect(metricValues(request)).toEqual({ 'auth_gate.requests': 1, 'auth_gate.denied': 1 });
  });

  it('answers 403 on an admin path before looking at credentials', async () => {
    const request = requestNamed(await authGate(), 'GET /admin/users');
    expect(request.outcome).toBe('local_response');
    expect(request.localResponse).toMatchObject({ status: 403, details: 'auth_gate_admin_path', headers: [['x-denied-by', 'auth-gate']], body: 'admin is internal\n' });
    expect(request.callsOut).toEqual([]);
    expect(request.logs.map((log) => [log.level, log.message])).toContainEqual(['warn', 'denied /admin/users: admin path']);
    expect(metricValues(request)).toEqual({ 'auth_gate.requests': 2, 'auth_gate.denied': 2 });
  });

  it('lets a public path through, marking it, and rewrites the upstream response headers', async () => {
    const request = requestNamed(await authGate(), 'POST /login');
    expect(request.outcome).toBe('completed');
    expect(request.localResponse).toBeNull();
    expect(request.steps[0]).toEqual({ callback: 'proxy_on_request_headers', action: 'Continue' });
    expect(request.request.headers).toEqual({ added: [['x-auth-gate', 'public']], replaced: [], removed: [] });
    expect(request.response.headers).toEqual({ added: [], replaced: [['cache-control', 'max-age=60', 'no-store']], removed: ['server'] });
    expect(request.request.bodyChanged).toBe(false);
    expect(request.callsOut).toEqual([]);
    expect(metricValues(request)).toEqual({ 'auth_gate.requests': 3 });
  });

  it('pauses a request with credentials, checks them with the authz upstream and resumes it on the stub answer', async () => {
    const request = requestNamed(await authGate(), 'GET /api/orders');
    expect(request.callsOut).toEqual([
      {
        kind: 'http',
        upstream: 'authz',
        headers: [[':method', 'POST'], [':path', '/check'], [':authority', 'authz'], ['authorization', 'Bearer token-123']],
        body: '{"path":"/api/orders"}',
        timeoutMs: 500,
        answer: { status: 200 },
        callback: 'proxy_on_request_headers',
      },
    ]);
    expect(callbacks(request).slice(0, 2)).toEqual(['proxy_on_request_headers:Pause', 'proxy_on_http_call_response:null']);
    expect(callbacks(request)).toContain('proxy_on_response_headers:Continue');
    expect(request.outcome).toBe('completed');
    expect(request.localResponse).toBeNull();
    expect(request.request.headers).toEqual({ added: [['x-auth-user', 'alice']], replaced: [], removed: ['authorization'] });
    expect(request.logs.map((log) => [log.level, log.callback, log.message])).toEqual([
      ['debug', 'proxy_on_request_headers', 'request headers: 6 headers, path /api/orders'],
      ['info', 'proxy_on_request_headers', expect.stringMatching(/^checking credentials with authz \(call \d+\)$/)],
      ['info', 'proxy_on_http_call_response', expect.stringMatching(/^call \d+ answered: status 200, 2 headers, 14 body bytes$/)],
      ['trace', 'proxy_on_http_call_response', 'auth body: {"allow":true}'],
      ['trace', 'proxy_on_log', expect.stringMatching(/^logged request 4 \(cas [1-9]\d*, result 0\)$/)],
    ]);
    expect(request.metrics).toContainEqual({ name: 'auth_gate.token_length', type: 'histogram', value: expect.any(Number), recorded: ['Bearer token-123'.length] });
  });

  it('ends a checked request with 403 when the upstream says no, and with 503 when the upstream is unreachable (the default stub)', async () => {
    const denied = requestNamed(
      await authGate({ upstreams: { authz: { kind: 'answer', status: 403, headers: [], body: '' } } }),
      'GET /api/orders',
    );
    expect(denied.callsOut.map((call) => call.answer)).toEqual([{ status: 403 }]);
    expect(denied.outcome).toBe('local_response');
    expect(denied.localResponse).toMatchObject({ status: 403, details: 'auth_gate_denied', callback: 'proxy_on_http_call_response' });
    expect(denied.request.headers).toEqual({ added: [], replaced: [], removed: ['authorization'] });
    expect(callbacks(denied)).toEqual([
      'proxy_on_request_headers:Pause',
      'proxy_on_http_call_response:null',
      'proxy_on_response_headers:Continue',
      'proxy_on_done:null',
      'proxy_on_log:null',
      'proxy_on_delete:null',
    ]);

    const unreachable = requestNamed(await authGate({ upstreams: {} }), 'GET /api/orders');
    expect(unreachable.callsOut.map((call) => [call.upstream, call.answer])).toEqual([['authz', 'failure']]);
    expect(unreachable.outcome).toBe('local_response');
    expect(unreachable.localResponse).toMatchObject({ status: 503, details: 'auth_gate_upstream_unavailable', callback: 'proxy_on_http_call_response' });
    expect(unreachable.logs.map((log) => log.message)).toContainEqual(expect.stringMatching(/^call \d+ answered: status \(failed\), 0 headers, 0 body bytes$/));
  });

  it('follows every request to its end: the denied ones end in local responses, the others complete', async () => {
    const trace = await authGate();
    expect(trace.requests.map((request) => [request.name, request.outcome])).toEqual([
      ['GET /', 'local_response'],
      ['GET /admin/users', 'local_response'],
      ['POST /login', 'completed'],
      ['GET /api/orders', 'completed'],
    ]);
  });

  it('fires its tick twice after the traffic, recording what it saw in a gauge and in shared data', async () => {
    const trace = await authGate();
    expect(trace.ticks.fired).toBe(2);
    expect(trace.ticks.failure).toBeNull();
    expect(trace.ticks.logs.map((log) => [log.level, log.callback, log.message])).toEqual([
      ['debug', 'proxy_on_tick', expect.stringMatching(/^tick 1 on root \d+: 4 requests so far$/)],
      ['debug', 'proxy_on_tick', expect.stringMatching(/^tick 2 on root \d+: 4 requests so far$/)],
    ]);
    expect(byKey(trace.sharedData)).toEqual([
      { key: 'auth_gate.logged', value: '4' },
      { key: 'auth_gate.ticks', value: '2' },
    ]);
    expect(trace.metrics.map((metric) => [metric.name, metric.type, metric.value])).toEqual(
      expect.arrayContaining([
        ['auth_gate.requests', 'counter', 4],
        ['auth_gate.denied', 'counter', 2],
        ['auth_gate.requests_at_tick', 'gauge', 4],
        ['auth_gate.ticks', 'counter', 2],
      ]),
    );
    expect(trace.metrics.find((metric) => metric.name === 'auth_gate.token_length')).toMatchObject({ type: 'histogram', recorded: ['Bearer token-123'.length] });
  });

  it('reports that every configuration was refused when none names an upstream', async () => {
    const trace = await authGate({ configurations: [{ name: '(empty)', text: '' }] });
    expect(trace.configurations).toEqual([
      {
        name: '(empty)',
        accepted: false,
        logs: [{ level: 'error', message: 'configuration refused: expected {"upstream": "<cluster>"}, got 0 bytes', callback: 'proxy_on_configure' }],
        failure: null,
      },
    ]);
    expect(trace.findings.map((finding) => finding.code)).toEqual(['trial_configuration_refused']);
    expect(trace.ticks.fired).toBe(0);
  });
});

describe('body-mask (Rust, Debian rustc wasm32-unknown-unknown cdylib, ABI 0.2.1) in the sandbox', () => {
  const bodyMask = async (request: Partial<Omit<TrialRequest, 'module'>> = {}) =>
    trial((await rustBodyMaskPlugin()).bytes, {
      configurations: [
        { name: 'prose', text: 'mask everything' },
        { name: 'default', text: BODY_MASK_CONFIGURATION },
      ],
      vmConfiguration: 'mask-vm',
      rootId: 'body_mask',
      ...request,
    });

  it('starts without an entry point, reads the VM configuration and its root id, and refuses a configuration that is not JSON', async () => {
    const trace = await bodyMask();
    expect(trace.host.abiVersion).toBe('0.2.1');
    expect(trace.start).toMatchObject({ linked: true, unknownImports: [], entryPoint: null, vmStarted: true, failure: null });
    expect(trace.start.logs).toEqual([
      { level: 'info', message: expect.stringMatching(/^body-mask VM started with "mask-vm" \(host log level [0-5]\)$/), callback: 'proxy_on_vm_start' },
    ]);
    expect(trace.configurations.map((c) => [c.name, c.accepted, c.logs.map((log) => `${log.level}: ${log.message}`)])).toEqual([
      ['prose', false, ['error: configuration refused: expected {"mask": "<field>"}, got "mask everything"']],
      // A fresh root context is started (proxy_on_vm_start) before it is configured.
      ['default', true, ['info: body-mask VM started with "mask-vm" (host log level 2)', 'info: root body_mask masks "password"']],
    ]);
    expect(trace.findings).toEqual([]);
  });

  it('shows the x-request-id it adds beside the one GET / already carries', async () => {
    const trace = await bodyMask();
    expect(DEFAULT_REQUESTS[0]!.headers.some(([name]) => name === 'x-request-id')).toBe(true);
    expect(requestNamed(trace, 'GET /').request.headers.added).toEqual([['x-request-id', expect.stringMatching(/^body-mask-\d+$/)]]);
  });

  it('masks the password in the login body and rewrites request and response headers (default traffic)', async () => {
    const trace = await bodyMask();
    expect(trace.requests.map((request) => request.name)).toEqual(DEFAULT_REQUESTS.map((request) => request.name));
    const login = requestNamed(trace, 'POST /login');
    expect(login.outcome).toBe('completed');
    expect(login.request.headers).toEqual({
      added: [['x-request-id', expect.stringMatching(/^body-mask-\d+$/)]],
      replaced: [['user-agent', 'curl/8.5.0', 'body-mask/1.0']],
      removed: ['content-length'],
    });
    expect(login.request.bodyChanged).toBe(true);
    // Envoy's replace sets a header that is absent.
    expect(login.response.headers).toEqual({ added: [['x-body-mask', 'on'], ['server', 'body-mask']], replaced: [], removed: [] });
    expect(login.response.bodyChanged).toBe(false);
    expect(callbacks(login)).toEqual([
      'proxy_on_request_headers:Continue',
      'proxy_on_request_body:Continue',
      'proxy_on_response_headers:Continue',
      'proxy_on_response_body:Continue',
      'proxy_on_done:null',
      'proxy_on_log:null',
      'proxy_on_delete:null',
    ]);
    const page = requestNamed(trace, 'GET /');
    expect(page.request.headers.replaced).toEqual([['user-agent', DEFAULT_REQUESTS[0]!.headers[0]![1], 'body-mask/1.0']]);
    expect(page.request.bodyChanged).toBe(false);
    // No body: the headers end the stream, so content-length stays and no request body callback runs.
    expect(callbacks(page)).not.toContain('proxy_on_request_body:Continue');
    expect(login.logs.map((log) => [log.level, log.callback, log.message])).toEqual([
      ['debug', 'proxy_on_request_headers', '9 request headers for /login'],
      ['info', 'proxy_on_request_body', 'masked 10 bytes of "password" in the request body'],
      ['trace', 'proxy_on_log', 'path /login after / (set: 0)'],
    ]);
    // Only what changed during the request: last_status was already 200 after "GET /".
    expect(login.metrics).toEqual([
      { name: 'body_mask.masked_fields', type: 'counter', value: 1, recorded: [] },
      { name: 'body_mask.request_body_bytes', type: 'histogram', value: 1, recorded: [44] },
    ]);
    expect(metricValues(requestNamed(trace, 'GET /'))).toEqual({ 'body_mask.last_status': 200 });
    expect(login.localResponse).toBeNull();
    expect(login.callsOut).toEqual([]);
  });

  it('removes x-debug with a warning and masks the response body too', async () => {
    const trace = await bodyMask({
      requests: [{
        name: 'PUT /profile',
        method: 'PUT',
        path: '/profile',
        headers: [['x-debug', '1'], ['content-type', 'application/json']],
        body: '{"password":"pw"}',
        trailers: [],
        response: { status: 201, headers: [['server', 'profiles'], ['content-type', 'application/json']], body: '{"id":7,"password":"stored-pw"}', trailers: [] },
      }],
    });
    const [request] = trace.requests;
    expect(request!.request.headers).toEqual({
      added: [['x-request-id', expect.stringMatching(/^body-mask-\d+$/)]],
      replaced: [],
      removed: ['x-debug'],
    });
    expect(request!.response.headers).toEqual({ added: [['x-body-mask', 'on']], replaced: [['server', 'profiles', 'body-mask']], removed: [] });
    expect([request!.request.bodyChanged, request!.response.bodyChanged]).toEqual([true, true]);
    expect(request!.logs.map((log) => `${log.level}: ${log.message}`)).toEqual([
      'debug: 6 request headers for /profile',
      'warn: x-debug header removed',
      'info: masked 2 bytes of "password" in the request body',
      'info: masked 9 bytes of "password" in the response body',
      'trace: path /profile after (none) (set: 0)',
    ]);
    expect(metricValues(request!)).toMatchObject({ 'body_mask.last_status': 201, 'body_mask.masked_fields': 1 });
  });

  it('ticks every root context that set a period, and leaves the last path and its tick count in shared data', async () => {
    const trace = await bodyMask();
    expect(trace.ticks.fired).toBe(2);
    expect(trace.ticks.logs.map((log) => `${log.level}: ${log.message}`)).toEqual([
      expect.stringMatching(/^debug: tick on root \d+: 1 fields masked so far$/),
      expect.stringMatching(/^debug: tick on root \d+: 1 fields masked so far$/),
    ]);
    expect(byKey(trace.sharedData)).toEqual([
      { key: 'body_mask.last_path', value: '/api/orders?limit=10' },
      { key: 'body_mask.masked_at_tick', value: '1' },
    ]);
    expect(metricValues(trace)).toEqual({ 'body_mask.masked_fields': 1, 'body_mask.request_body_bytes': expect.any(Number), 'body_mask.last_status': 200 });
  });

  it('measures the cost per request after warm-up, with the caveat beside it', async () => {
    const trace = await bodyMask({ limits: { ...LIMITS, costSamples: 5 } });
    expect(trace.cost).toMatchObject({ samples: 5, caveat: expect.stringContaining('not in your Envoy') });
    expect(trace.cost!.medianMicros).toBeGreaterThan(0);
    expect(trace.cost!.p95Micros).toBeGreaterThanOrEqual(trace.cost!.medianMicros);
    expect(trace.cost!.memoryBytesAfterStart % 65536).toBe(0);
    expect(trace.cost!.memoryBytesAfterStart).toBeGreaterThan(0);
  });
});

// Its tagged responses and its runtime's aborts are asserted in sdk-trial.test.ts.
describe('the AssemblyScript SDK filter (@solo-io/proxy-runtime, ABI 0.2.0) in the sandbox', () => {
  const tagFilter = async (request: Partial<Omit<TrialRequest, 'module'>> = {}) =>
    trial((await assemblyScriptProxyWasmFilter()).bytes, {
      configurations: [{ name: 'blue', text: 'blue' }],
      rootId: 'registry_tag',
      requests: [get('/', [['x-client-id', 'client-7']]), get('/anonymous', [])],
      ...request,
    });

  it('traps in proxy_on_context_create when no root context is registered under the plugin root id', async () => {
    const trace = await tagFilter({ rootId: 'other_root' });
    expect(trace.start.failure).toMatchObject({ kind: 'trap', callback: 'proxy_on_context_create' });
    expect(trace.start.logs).toContainEqual({
      level: 'critical',
      message: expect.stringMatching(/^Missing root context factory for root id: other_root/),
      callback: 'proxy_on_context_create',
    });
    expect(trace.findings.map((finding) => finding.code)).toEqual(['trial_start_failed']);
    expect(trace.requests).toEqual([]);
  });
});

// runTrial needs the compiled process entry (dist/libs/sandbox/src/trial.worker.js): `npm run build` first, as `npm test` does.
describe('a real plugin through runTrial (its own process), as the pipeline and the API run it', () => {
  it('gives auth-gate the same trace as an in-thread trial, with the cost measured', async () => {
    const request: TrialRequest = {
      module: (await clangAuthGatePlugin()).bytes,
      configurations: [{ name: 'default', text: AUTH_GATE_CONFIGURATION }],
      vmConfiguration: '',
      rootId: 'auth_gate',
      requests: AUTH_REQUESTS,
      upstreams: { authz: AUTHZ_ALLOWS },
      limits: { ...LIMITS, costSamples: 5 },
    };
    const inProcess = await runTrial(request);
    const inThread = performTrial(request, watchNothing);
    const comparable = (trace: TrialTrace) => ({ ...trace, elapsedMs: 0, cost: trace.cost && { ...trace.cost, medianMicros: 0, p95Micros: 0 } });
    expect(comparable(inProcess)).toEqual(comparable(inThread));

    expect(inProcess.cost).toMatchObject({ samples: 5, memoryBytesAfterStart: expect.any(Number), caveat: expect.stringContaining('not in your Envoy') });
    expect(inProcess.cost!.medianMicros).toBeGreaterThan(0);
    expect(inProcess.requests.map((r) => [r.name, r.outcome, r.localResponse?.status ?? null])).toEqual([
      ['GET /', 'local_response', 401],
      ['GET /admin/users', 'local_response', 403],
      ['POST /login', 'completed', null],
      ['GET /api/orders', 'completed', null],
    ]);
    const checked = requestNamed(inProcess, 'GET /api/orders');
    expect(checked.callsOut.map((call) => [call.upstream, call.answer, call.callback])).toEqual([['authz', { status: 200 }, 'proxy_on_request_headers']]);
    expect(checked.request.headers).toEqual({ added: [['x-auth-user', 'alice']], replaced: [], removed: ['authorization'] });
    // Shared data is taken before the cost passes, which repeat the first request.
    expect([inProcess.ticks.fired, byKey(inProcess.sharedData)]).toEqual([
      2,
      [{ key: 'auth_gate.logged', value: String(AUTH_REQUESTS.length) }, { key: 'auth_gate.ticks', value: '2' }],
    ]);
  });

  it('gives body-mask and the AssemblyScript filter the same traces as in-thread trials, the SDK\'s abort included', async () => {
    const requests: TrialRequest[] = [
      {
        module: (await rustBodyMaskPlugin()).bytes,
        configurations: [{ name: 'default', text: BODY_MASK_CONFIGURATION }],
        vmConfiguration: 'mask-vm',
        rootId: 'body_mask',
        limits: LIMITS,
      },
      {
        module: (await assemblyScriptProxyWasmFilter()).bytes,
        configurations: [{ name: 'blue', text: 'blue' }],
        vmConfiguration: '',
        rootId: 'registry_tag',
        requests: [get('/', [['x-client-id', 'client-7']]), get('/anonymous', [])],
        limits: LIMITS,
      },
    ];
    const [bodyMask, tagFilter] = await Promise.all(requests.map((request) => runTrial(request)));
    const withoutTime = (trace: TrialTrace) => ({ ...trace, elapsedMs: 0 });
    expect(withoutTime(bodyMask!)).toEqual(withoutTime(performTrial(requests[0]!, watchNothing)));
    expect(withoutTime(tagFilter!)).toEqual(withoutTime(performTrial(requests[1]!, watchNothing)));
    expect(requestNamed(bodyMask!, 'POST /login').request.bodyChanged).toBe(true);
    expect(tagFilter!.requests.map((request) => [request.outcome, request.failure?.callback ?? null])).toEqual([
      ['completed', null],
      ['failed', 'proxy_on_response_headers'],
    ]);
  });
});
