import { describe, expect, it } from 'vitest';
import type { Capability } from '../../analysis/index.js';
import { capabilityDiff, COST_INCREASE_THRESHOLD, DIFF_LIMITS, MEMORY_INCREASE_THRESHOLD, type CapabilityDiffSide } from './capability-diff.js';
import type { CallOut, HeaderChanges, RequestTrace, TrialTrace } from './trial-types.js';

// Hand-built traces: the diff reads only what a trial records, so each test writes what the plugin "did".

const HTTP_CALLS: Capability = { id: 'http_calls', description: 'Sends HTTP requests of its own.', functions: ['env.proxy_http_call'] };
const METRICS: Capability = { id: 'metrics', description: 'Defines and updates metrics.', functions: ['env.proxy_define_metric', 'env.proxy_increment_metric'] };
const CLOCK: Capability = { id: 'wasi_clock', description: 'Reads the clocks.', functions: ['wasi_snapshot_preview1.clock_time_get'] };

const BASE_IMPORTS = [
  { module: 'env', name: 'proxy_log', kind: 'function' },
  { module: 'env', name: 'proxy_get_header_map_value', kind: 'function' },
  { module: 'env', name: 'memory', kind: 'memory' },
];
const imp = (key: string): { module: string; name: string; kind: string } => {
  const dot = key.indexOf('.');
  return { module: key.slice(0, dot), name: key.slice(dot + 1), kind: 'function' };
};

const NO_CHANGES: HeaderChanges = { added: [], replaced: [], removed: [] };

function request(overrides: Partial<RequestTrace> = {}): RequestTrace {
  return {
    name: 'GET /',
    steps: [{ callback: 'proxy_on_request_headers', action: 'Continue' }],
    request: { headers: NO_CHANGES, bodyChanged: false, trailers: NO_CHANGES },
    response: { headers: NO_CHANGES, bodyChanged: false, trailers: NO_CHANGES },
    localResponse: null,
    callsOut: [],
    metrics: [],
    logs: [],
    outcome: 'completed',
    failure: null,
    ...overrides,
  };
}

function callOut(upstream: string, kind: CallOut['kind'] = 'http'): CallOut {
  return { kind, upstream, headers: [[':path', '/check']], body: '', timeoutMs: 1000, answer: 'failure', callback: 'proxy_on_request_headers' };
}

function trace(overrides: Partial<TrialTrace> = {}): TrialTrace {
  return {
    traceVersion: 1,
    host: { engine: 'V8', abiVersion: '0.2.1', caveat: 'not Envoy' },
    filterType: 'http',
    start: { linked: true, unknownImports: [], entryPoint: '_initialize', vmStarted: true, logs: [], failure: null },
    configurations: [{ name: '(empty)', accepted: true, logs: [], failure: null }],
    requests: [request()],
    connections: [],
    ticks: { fired: 0, callsOut: [], logs: [], failure: null },
    sharedData: [],
    metrics: [],
    cost: { medianMicros: 20, p95Micros: 30, samples: 50, memoryBytesAfterStart: 2 * 1024 * 1024, caveat: 'V8 in the registry' },
    findings: [],
    omitted: {},
    hostCalls: 10,
    elapsedMs: 5,
    ...overrides,
  };
}

function side(version: string, overrides: Partial<CapabilityDiffSide> = {}): CapabilityDiffSide {
  return { version, imports: BASE_IMPORTS, capabilities: [], trial: trace(), ...overrides };
}

describe('capabilityDiff: imports and capabilities', () => {
  it('two identical versions differ in nothing, and the summary says so', () => {
    const diff = capabilityDiff(side('1.0.0'), side('1.1.0'));
    expect(diff.imports).toEqual([]);
    expect(diff.capabilities).toEqual({ gained: [], lost: [] });
    expect(diff.changes).toEqual([]);
    expect(diff.summary).toBe('1.0.0 → 1.1.0: no change in imports, capabilities or behaviour.');
    expect(diff.behaviourNote).toBeNull();
  });

  it('groups added and removed imports by capability, host functions outside any capability as "other", and ignores non-function imports', () => {
    const before = side('1.0.0', {
      imports: [...BASE_IMPORTS, imp('wasi_snapshot_preview1.clock_time_get')],
      capabilities: [CLOCK],
    });
    const after = side('2.0.0', {
      imports: [
        { module: 'env', name: 'proxy_log', kind: 'function' },
        imp('env.proxy_http_call'),
        imp('env.proxy_define_metric'),
        imp('env.proxy_increment_metric'),
        imp('env.proxy_add_header_map_value'),
        { module: 'env', name: '__indirect_function_table', kind: 'table' },
      ],
      capabilities: [HTTP_CALLS, METRICS],
    });
    const diff = capabilityDiff(before, after);
    expect(diff.imports).toEqual([
      { group: 'http_calls', description: HTTP_CALLS.description, added: ['env.proxy_http_call'], removed: [] },
      { group: 'metrics', description: METRICS.description, added: ['env.proxy_define_metric', 'env.proxy_increment_metric'], removed: [] },
      { group: 'wasi_clock', description: CLOCK.description, added: [], removed: ['wasi_snapshot_preview1.clock_time_get'] },
      { group: 'other', description: expect.stringContaining('outside the capabilities'), added: ['env.proxy_add_header_map_value'], removed: ['env.proxy_get_header_map_value'] },
    ]);
    expect(diff.capabilities).toEqual({
      gained: [
        { id: 'http_calls', description: HTTP_CALLS.description },
        { id: 'metrics', description: METRICS.description },
      ],
      lost: [{ id: 'wasi_clock', description: CLOCK.description }],
    });
    expect(diff.changes.map((c) => [c.kind, c.widens, c.summary])).toEqual([
      ['capability_gained', true, `gains http_calls: ${HTTP_CALLS.description}`],
      ['capability_gained', true, `gains metrics: ${METRICS.description}`],
      ['imports_added', true, 'imports `env.proxy_http_call` (http_calls)'],
      ['imports_added', true, 'imports `env.proxy_define_metric`, `env.proxy_increment_metric` (metrics)'],
      ['imports_added', true, 'imports `env.proxy_add_header_map_value` (other)'],
      ['capability_lost', false, 'loses wasi_clock'],
      ['imports_removed', false, 'no longer imports `wasi_snapshot_preview1.clock_time_get` (wasi_clock)'],
      ['imports_removed', false, 'no longer imports `env.proxy_get_header_map_value` (other)'],
    ]);
    expect(diff.summary).toBe(`1.0.0 → 2.0.0: gains http_calls: ${HTTP_CALLS.description}; 7 more changes.`);
  });

  it('an upgrade that only drops things says nothing is new', () => {
    const diff = capabilityDiff(side('1.0.0', { imports: [...BASE_IMPORTS, imp('env.proxy_http_call')], capabilities: [HTTP_CALLS] }), side('1.0.1'));
    expect(diff.changes.every((c) => !c.widens)).toBe(true);
    expect(diff.summary).toBe('1.0.0 → 1.0.1: nothing new; 2 changes that narrow what it does.');
  });

  it('cuts a long import list at DIFF_LIMITS and counts what it left out', () => {
    const many = Array.from({ length: DIFF_LIMITS.namesPerList + 7 }, (_, i) => imp(`env.made_up_${String(i).padStart(4, '0')}`));
    const diff = capabilityDiff(side('1.0.0'), side('2.0.0', { imports: [...BASE_IMPORTS, ...many] }));
    expect(diff.imports[0]!.added).toHaveLength(DIFF_LIMITS.namesPerList);
    expect(diff.omitted).toEqual({ 'imports.other.added': 7 });
  });

  it('says when a report left imports out', () => {
    const diff = capabilityDiff(side('1.0.0', { omittedImports: 12 }), side('2.0.0'));
    expect(diff.caveats).toEqual(['The analysis of 1.0.0 lists only part of its imports (12 left out): import changes may be missing.']);
  });
});

describe('capabilityDiff: behaviour from the two trials', () => {
  it('names new upstreams (requests, connections and ticks) and the ones no longer called, each once', () => {
    const before = side('1.0.0', { trial: trace({ requests: [request({ callsOut: [callOut('old-auth'), callOut('stats')] })] }) });
    const after = side('1.1.0', {
      trial: trace({
        requests: [request({ callsOut: [callOut('stats'), callOut('auth-cluster'), callOut('auth-cluster')] })],
        ticks: { fired: 3, callsOut: [callOut('config-server', 'grpc')], logs: [], failure: null },
      }),
    });
    const diff = capabilityDiff(before, after);
    expect(diff.behaviour!.upstreamsAdded).toEqual([
      { kind: 'http', upstream: 'auth-cluster' },
      { kind: 'grpc', upstream: 'config-server' },
    ]);
    expect(diff.behaviour!.upstreamsRemoved).toEqual([{ kind: 'http', upstream: 'old-auth' }]);
    expect(diff.changes.map((c) => c.summary)).toEqual([
      'now calls upstream `auth-cluster` (http)',
      'now calls upstream `config-server` (grpc)',
      'no longer calls upstream `old-auth` (http)',
    ]);
  });

  it('the same upstream called over gRPC instead of HTTP is a new call', () => {
    const diff = capabilityDiff(
      side('1.0.0', { trial: trace({ requests: [request({ callsOut: [callOut('authz')] })] }) }),
      side('1.1.0', { trial: trace({ requests: [request({ callsOut: [callOut('authz', 'grpc')] })] }) }),
    );
    expect(diff.behaviour!.upstreamsAdded).toEqual([{ kind: 'grpc', upstream: 'authz' }]);
    expect(diff.behaviour!.upstreamsRemoved).toEqual([{ kind: 'http', upstream: 'authz' }]);
  });

  it('lists headers newly touched per place and operation, case-insensitively', () => {
    const before = side('1.0.0', {
      trial: trace({ requests: [request({ request: { headers: { added: [['X-Request-Id', 'a']], replaced: [], removed: [] }, bodyChanged: false, trailers: NO_CHANGES } })] }),
    });
    const after = side('1.1.0', {
      trial: trace({
        requests: [
          request({
            request: { headers: { added: [['x-request-id', 'b']], replaced: [['authorization', 'Bearer a', 'Bearer b']], removed: ['cookie'] }, bodyChanged: false, trailers: NO_CHANGES },
          }),
          request({ name: 'POST /login', response: { headers: { added: [['set-cookie', 's=1'], ['x-debug', '1']], replaced: [], removed: [] }, bodyChanged: false, trailers: NO_CHANGES } }),
        ],
      }),
    });
    const diff = capabilityDiff(before, after);
    expect(diff.behaviour!.headersTouched).toEqual([
      { place: 'request_headers', operation: 'replaced', names: ['authorization'] },
      { place: 'request_headers', operation: 'removed', names: ['cookie'] },
      { place: 'response_headers', operation: 'added', names: ['set-cookie', 'x-debug'] },
    ]);
    expect(diff.changes.map((c) => c.summary)).toEqual([
      'now replaces request headers `authorization`',
      'now removes request headers `cookie`',
      'now adds response headers `set-cookie`, `x-debug`',
    ]);
  });

  it('reports bodies and connection data newly rewritten', () => {
    const after = side('1.1.0', {
      trial: trace({
        requests: [request({ response: { headers: NO_CHANGES, bodyChanged: true, trailers: NO_CHANGES } })],
        connections: [{ name: 'c', steps: [], downstreamDataChanged: true, upstreamDataChanged: false, callsOut: [], logs: [], outcome: 'completed', failure: null }],
      }),
    });
    const diff = capabilityDiff(side('1.0.0'), after);
    expect(diff.behaviour!.bodiesChanged).toEqual(['response_body', 'downstream_data']);
    expect(diff.changes.map((c) => c.summary)).toEqual(['now rewrites the response body', 'now rewrites data from the client (downstream)']);
  });

  it('names local-response statuses only the new version sends', () => {
    const local = (status: number): RequestTrace =>
      request({ outcome: 'local_response', localResponse: { status, details: 'denied', headers: [], body: '', grpcStatus: null, callback: 'proxy_on_request_headers' } });
    const diff = capabilityDiff(side('1.0.0', { trial: trace({ requests: [local(401)] }) }), side('1.1.0', { trial: trace({ requests: [local(403), local(401), local(429), local(403)] }) }));
    expect(diff.behaviour!.localResponseStatuses).toEqual([403, 429]);
    expect(diff.changes.map((c) => c.summary)).toEqual(['now answers requests itself with status 403, 429']);
  });

  it('names new metrics (defined by the end or changed during a request) and new shared data keys', () => {
    const before = side('1.0.0', { trial: trace({ metrics: [{ name: 'requests_total', type: 'counter', value: 3, recorded: [] }], sharedData: [{ key: 'cache', value: '1' }] }) });
    const after = side('1.1.0', {
      trial: trace({
        metrics: [{ name: 'requests_total', type: 'counter', value: 3, recorded: [] }],
        requests: [request({ metrics: [{ name: 'denied_total', type: 'counter', value: 1, recorded: [] }] })],
        sharedData: [{ key: 'cache', value: '2' }, { key: 'tokens', value: 'x' }],
      }),
    });
    const diff = capabilityDiff(before, after);
    expect(diff.behaviour!.metricsAdded).toEqual([{ name: 'denied_total', type: 'counter' }]);
    expect(diff.behaviour!.sharedDataKeysAdded).toEqual(['tokens']);
    expect(diff.changes.map((c) => c.kind)).toEqual(['metric_added', 'shared_data_added']);
  });

  it(`cost is up only past ×${COST_INCREASE_THRESHOLD.ratio} and +${COST_INCREASE_THRESHOLD.minMicros} µs together`, () => {
    const cost = (median: number): CapabilityDiffSide['trial'] =>
      trace({ cost: { medianMicros: median, p95Micros: median * 2, samples: 50, memoryBytesAfterStart: 1 << 21, caveat: 'c' } });
    const costOf = (a: number, b: number) => capabilityDiff(side('1', { trial: cost(a) }), side('2', { trial: cost(b) })).behaviour!.cost;
    expect(costOf(20, 30)).toEqual({ beforeMedianMicros: 20, afterMedianMicros: 30, ratio: 1.5 });
    expect(costOf(20, 29)).toBeNull(); // +9 µs but ×1.45
    expect(costOf(2, 6)).toBeNull(); // ×3 but +4 µs: noise at this size
    expect(costOf(2, 7)).toEqual({ beforeMedianMicros: 2, afterMedianMicros: 7, ratio: 3.5 });
    expect(costOf(30, 20)).toBeNull();
    const diff = capabilityDiff(side('1', { trial: cost(20) }), side('2', { trial: cost(45) }));
    expect(diff.changes.map((c) => c.summary)).toEqual(['CPU time per request up from 20 µs to 45 µs (median, ×2.25) in the sandbox']);
  });

  it(`memory after start is up only past ×${MEMORY_INCREASE_THRESHOLD.ratio} and +1 MiB together`, () => {
    const memory = (bytes: number): CapabilityDiffSide['trial'] =>
      trace({ cost: { medianMicros: 10, p95Micros: 20, samples: 50, memoryBytesAfterStart: bytes, caveat: 'c' } });
    const memoryOf = (a: number, b: number) => capabilityDiff(side('1', { trial: memory(a) }), side('2', { trial: memory(b) })).behaviour!.memory;
    const MiB = 1024 * 1024;
    expect(memoryOf(2 * MiB, 3 * MiB)).toEqual({ beforeBytes: 2 * MiB, afterBytes: 3 * MiB, ratio: 1.5 });
    expect(memoryOf(1 * MiB, 1.9 * MiB)).toBeNull();
    expect(memoryOf(4 * MiB, 5.5 * MiB)).toBeNull();
  });

  it('without a trial on either side, compares imports only and says why', () => {
    const diff = capabilityDiff(side('1.0.0', { trial: null }), side('2.0.0', { imports: [...BASE_IMPORTS, imp('env.proxy_http_call')], capabilities: [HTTP_CALLS] }));
    expect(diff.behaviour).toBeNull();
    expect(diff.behaviourNote).toBe('No trial of 1.0.0: behaviour cannot be compared.');
    expect(diff.summary).toBe(`1.0.0 → 2.0.0: gains http_calls: ${HTTP_CALLS.description}; 1 more change (No trial of 1.0.0: behaviour cannot be compared).`);
  });

  it('a new version that no longer starts is a change, and its missing traffic is not read as "no longer calls"', () => {
    const before = side('1.0.0', { trial: trace({ requests: [request({ callsOut: [callOut('authz')] })] }) });
    const broken = trace({
      start: { linked: true, unknownImports: [], entryPoint: '_initialize', vmStarted: null, logs: [], failure: { kind: 'trap', callback: 'proxy_on_vm_start', message: 'unreachable' } },
      configurations: [],
      requests: [],
      cost: null,
    });
    const diff = capabilityDiff(before, side('1.1.0', { trial: broken }));
    expect(diff.behaviour!.upstreamsRemoved).toEqual([]);
    expect(diff.behaviour!.start).toEqual({ before: true, after: false });
    expect(diff.behaviourNote).toContain('1.1.0 sent no traffic');
    expect(diff.changes).toEqual([{ kind: 'start_changed', widens: true, summary: 'no longer starts, or accepts no configuration, in the sandbox' }]);
  });

  it('a trial whose every configuration was refused counts as not started', () => {
    const refused = trace({ configurations: [{ name: 'default', accepted: false, logs: [], failure: null }] });
    const diff = capabilityDiff(side('1.0.0', { trial: refused }), side('1.1.0'));
    expect(diff.behaviour!.start).toEqual({ before: false, after: true });
    expect(diff.changes[0]).toMatchObject({ kind: 'start_changed', widens: false });
  });

  it('compares the traffic of a plugin without proxy_on_configure (its configuration neither accepted nor refused)', () => {
    const unasked = (calls: string[]) => trace({ configurations: [{ name: '(empty)', accepted: null, logs: [], failure: null }], requests: [request({ callsOut: calls.map(callOut) })] });
    const diff = capabilityDiff(side('1.0.0', { trial: unasked(['authz']) }), side('1.1.0', { trial: unasked(['authz', 'audit']) }));
    expect(diff.behaviourNote).toBeNull();
    expect(diff.behaviour!.start).toBeNull();
    expect(diff.behaviour!.upstreamsAdded.length).toBe(1);
  });

  it('says when a trace left entries out', () => {
    const diff = capabilityDiff(side('1.0.0'), side('1.1.0', { trial: trace({ omitted: { 'requests[0].callsOut': 99_950 } }) }));
    expect(diff.caveats).toEqual(['The trial of 1.1.0 left 99950 entries out of its lists: behaviour changes may be missing.']);
  });

  it('keeps at most DIFF_LIMITS.changes change lines, widening ones first', () => {
    const many = Array.from({ length: DIFF_LIMITS.changes + 5 }, (_, i) => callOut(`upstream-${String(i).padStart(3, '0')}`));
    const diff = capabilityDiff(
      side('1.0.0', { imports: [...BASE_IMPORTS, imp('env.proxy_http_call')], capabilities: [HTTP_CALLS] }),
      side('1.1.0', { trial: trace({ requests: [request({ callsOut: many })] }) }),
    );
    expect(diff.changes).toHaveLength(DIFF_LIMITS.changes);
    expect(diff.changes.every((c) => c.widens)).toBe(true);
    expect(diff.omitted['changes']).toBe(DIFF_LIMITS.changes + 5 + 2 - DIFF_LIMITS.changes);
  });
});
