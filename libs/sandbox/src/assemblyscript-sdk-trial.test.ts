import { describe, expect, it } from 'vitest';
import { assemblyScriptProxyWasmFilter } from '../../../testing/sdk-fixtures.js';
import { DEFAULT_REQUESTS } from './default-requests.js';
import { performTrial } from './perform-trial.js';
import { PIPELINE_TRIAL_LIMITS } from './trial-limits.js';

const watch = { enter() {}, leave() {}, checkpoint() {} };

describe('a real SDK plugin in the sandbox', () => {
  it('runs the AssemblyScript SDK filter: configured by root id, tags responses, logs the client', async () => {
    const { bytes } = await assemblyScriptProxyWasmFilter();
    const request = { ...DEFAULT_REQUESTS[0]!, headers: [...DEFAULT_REQUESTS[0]!.headers, ['x-client-id', 'acme'] as [string, string]] };
    const trace = performTrial(
      {
        module: bytes,
        configurations: [{ name: 'blue', text: 'blue' }],
        vmConfiguration: '',
        rootId: 'registry_tag',
        requests: [request],
        limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 0 },
      },
      watch,
    );
    expect(trace.host.abiVersion).toBe('0.2.0');
    expect(trace.start).toMatchObject({ linked: true, failure: null, unknownImports: [] });
    expect(trace.configurations).toEqual([
      {
        name: 'blue',
        accepted: true,
        logs: [
          { level: 'debug', message: 'context id: 1: onConfigure(configuration_size: 4)', callback: 'proxy_on_configure' },
          { level: 'debug', message: 'context id: 1: Updating this.configuration=blue', callback: 'proxy_on_configure' },
        ],
        failure: null,
      },
    ]);
    const [tagged] = trace.requests;
    expect(tagged).toMatchObject({
      outcome: 'completed',
      failure: null,
      response: { headers: { added: [['x-registry-tag', 'blue']], replaced: [], removed: [] } },
    });
    // The SDK logs its own bookkeeping at debug level; the plugin's line is the only info one.
    expect(tagged!.logs.filter((l) => l.level !== 'debug')).toEqual([{ level: 'info', message: 'tagged response for acme', callback: 'proxy_on_response_headers' }]);
    expect(trace.findings).toEqual([]);
  });

  it('reports the trap the SDK runtime hits on the request after a stream context was deleted', async () => {
    const { bytes } = await assemblyScriptProxyWasmFilter();
    const trace = performTrial(
      {
        module: bytes,
        configurations: [{ name: 'blue', text: 'blue' }],
        vmConfiguration: '',
        rootId: 'registry_tag',
        limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 3 },
      },
      watch,
    );
    // After proxy_on_delete (Envoy calls it for every stream), @solo-io/proxy-runtime 0.1.8's refcounting runtime
    // aborts on the next response (without the delete, it does not: checked by hand).
    expect(trace.requests[0]!.steps.map((s) => s.callback)).toEqual([
      'proxy_on_request_headers',
      'proxy_on_response_headers',
      'proxy_on_response_body',
      'proxy_on_done',
      'proxy_on_log',
      'proxy_on_delete',
    ]);
    expect(trace.requests.map((r) => r.outcome)).toEqual(['completed', 'failed', 'failed']);
    expect(trace.requests[1]!.failure).toEqual({ kind: 'trap', callback: 'proxy_on_response_headers', message: 'unreachable' });
    expect(trace.requests[1]!.logs.filter((l) => l.level !== 'debug').map((l) => [l.level, l.message])).toEqual([
      ['critical', ' at: ~lib/rt/pure.ts(112:14)'],
      ['error', 'wasi_unstable proc_exit'],
    ]);
    // Every cost pass fails the same way, so no figure is given rather than a wrong one.
    expect(trace.cost).toBeNull();
  });

  it('accepts an empty configuration: an empty buffer leaves the module’s pointers as they were, as cpp-host does', async () => {
    const { bytes } = await assemblyScriptProxyWasmFilter();
    const trace = performTrial(
      { module: bytes, configurations: [], vmConfiguration: '', rootId: 'registry_tag', limits: { ...PIPELINE_TRIAL_LIMITS, costSamples: 0 } },
      watch,
    );
    // Writing zeros there (a null pointer) made the SDK read out of bounds: a trap Envoy would not have.
    expect(trace.configurations).toMatchObject([{ name: '(empty)', accepted: true, failure: null }]);
    expect(trace.findings).toEqual([]);
    expect(trace.requests[0]).toMatchObject({ outcome: 'completed', failure: null });
  });
});
