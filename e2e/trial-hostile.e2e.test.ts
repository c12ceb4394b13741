import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_TRIAL_LIMITS, TRACE_BOUNDS } from '../libs/sandbox/index.js';
import {
  httpCallFlood,
  loopAtVmStart,
  memoryGrowBomb,
  outOfRangePointers,
  tableGrowBomb,
  trapEverywhere,
  trapInEveryRequestCallback,
} from '../testing/hostile-plugins.js';
import { startLivenessProbe, type ProbeResult } from '../testing/liveness-probe.js';
import { startRegistry, type RunningRegistry, logLines } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion, type Json } from './support.js';

/**
 * Issue 14: modules that misbehave when run end their trial as a clean finding, on the embedded
 * registry, where the pipeline runs in the API process (the hardest case for liveness): the API keeps
 * answering /health/live while they run (no probe waits a second), and a good version published at
 * the same time is tried as if they were not there. Everything is asserted through the API.
 */

const { callbackMs, memoryMb, heapMb } = PIPELINE_TRIAL_LIMITS;
const HOSTILE = ['loop-at-vm-start', 'memory-grow-bomb', 'table-grow-bomb', 'trap-everywhere', 'trap-in-requests', 'out-of-range-pointers', 'http-call-flood'] as const;
type Hostile = (typeof HOSTILE)[number];
const GOOD = 'good-filter';
/** The good one second: with two trials at a time, it is tried beside the endless loop. */
const PUBLISHED: readonly string[] = [...HOSTILE.slice(0, 1), GOOD, ...HOSTILE.slice(1)];
/** The good filter logs its tag on every request: its trace shows each one reached it. */
const GOOD_TAG = 'good-filter-ran';
const FLOOD = 100_000;

async function modules(): Promise<Record<Hostile | typeof GOOD, Buffer>> {
  const [loop, memory, table, trap, trapRequests, pointers, flood, good] = await Promise.all([
    loopAtVmStart(),
    memoryGrowBomb(),
    tableGrowBomb(),
    trapEverywhere(),
    trapInEveryRequestCallback(),
    outOfRangePointers(),
    httpCallFlood(FLOOD),
    proxyWasmFilter(GOOD_TAG),
  ]);
  return {
    'loop-at-vm-start': loop,
    'memory-grow-bomb': memory,
    'table-grow-bomb': table,
    'trap-everywhere': trap,
    'trap-in-requests': trapRequests,
    'out-of-range-pointers': pointers,
    'http-call-flood': flood,
    [GOOD]: good,
  };
}

const versionPath = (plugin: string): string => `/api/v1/plugins/hostile/${plugin}/versions/1.0.0`;

/** Publishes every plugin at once (the pipeline tries two at a time) and waits until each has left pending. */
async function publishAll(registry: RunningRegistry, plugins: readonly string[], bytes: Record<string, Buffer>): Promise<Map<string, Json>> {
  const published = await Promise.all(plugins.map((p) => api(registry.url, 'PUT', versionPath(p), { body: bytes[p]!, token: registry.adminToken })));
  for (const response of published) expect(response.status, response.text).toBe(202);
  // One poll at a time: eight pollers every 50 ms would be a load of their own on the API being probed.
  const versions = new Map<string, Json>();
  for (const p of plugins) versions.set(p, await settledVersion(registry.url, 'hostile', p, '1.0.0'));
  return versions;
}

async function storedTrace(registry: RunningRegistry, plugin: string): Promise<Json> {
  const stored = await api(registry.url, 'GET', `${versionPath(plugin)}/trial`);
  expect(stored.status, stored.text).toBe(200);
  return stored.json.trace;
}

/** Every failure in a trace, with the part of the trial it is in. */
function failuresOf(trace: Json): { where: string; kind: string; callback: string | null }[] {
  const found: { where: string; failure: Json }[] = [];
  if (trace.start.failure) found.push({ where: 'start', failure: trace.start.failure });
  trace.configurations.forEach((c: Json, i: number) => c.failure && found.push({ where: `configurations[${i}]`, failure: c.failure }));
  trace.requests.forEach((r: Json, i: number) => r.failure && found.push({ where: `requests[${i}]`, failure: r.failure }));
  trace.connections.forEach((c: Json, i: number) => c.failure && found.push({ where: `connections[${i}]`, failure: c.failure }));
  if (trace.ticks.failure) found.push({ where: 'ticks', failure: trace.ticks.failure });
  return found.map(({ where, failure }) => ({ where, kind: failure.kind, callback: failure.callback }));
}

const pipelineOf = (version: Json): [string, string][] => version.pipeline.map((s: Json) => [s.step, s.state]);
const ALL_DONE = [['analysis', 'done'], ['trial', 'done'], ['sbom', 'done'], ['signature', 'done']];

describe('hostile modules in the trial, on the embedded registry', () => {
  let bytes: Record<string, Buffer>;
  beforeAll(async () => {
    bytes = await modules();
  });

  describe('with the default policy', () => {
    let registry: RunningRegistry;
    let versions: Map<string, Json>;
    let liveness: ProbeResult;

    beforeAll(async () => {
      registry = await startRegistry();
      const probe = await startLivenessProbe(`${registry.url}/health/live`);
      try {
        versions = await publishAll(registry, PUBLISHED, bytes);
      } finally {
        liveness = await probe.stop();
      }
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it('keeps /health/live answering while the pipeline tries them: no probe failed or waited a second', () => {
      // On failure: when the slow probes were sent, and what the pipeline said meanwhile.
      const slow = liveness.samples.flatMap((ms, i) => (ms > 200 ? [`${Math.round(liveness.sentAt[i]!)} ms: ${Math.round(ms)} ms`] : []));
      const said = `slow probes: ${slow.join(', ')}\n${logLines(registry.output()).filter((l) => l.context === 'Pipeline').map((l) => JSON.stringify(l)).join('\n')}`;
      expect(liveness.failures, said).toEqual([]);
      expect(liveness.count).toBeGreaterThan(20);
      expect(liveness.worstMs, said).toBeLessThan(1_000);
    });

    it('ends every hostile version ready, its trial done, with a finding only where the module did not start (warn by default)', () => {
      const outcome = (plugin: string) => {
        const version = versions.get(plugin)!;
        return { status: version.status, pipeline: pipelineOf(version), started: version.trial?.started, findings: version.trial?.findings };
      };
      const failedStart = { status: 'ready', pipeline: ALL_DONE, started: false, findings: ['trial_start_failed'] };
      const started = { status: 'ready', pipeline: ALL_DONE, started: true, findings: [] };
      expect(Object.fromEntries(HOSTILE.map((p) => [p, outcome(p)]))).toEqual({
        'loop-at-vm-start': failedStart,
        'memory-grow-bomb': failedStart,
        'table-grow-bomb': failedStart,
        'trap-everywhere': failedStart,
        'trap-in-requests': started,
        'out-of-range-pointers': started,
        'http-call-flood': started,
      });
    });

    it('stops an endless proxy_on_vm_start at the callback deadline, and says so in the finding', async () => {
      const trace = await storedTrace(registry, 'loop-at-vm-start');
      expect(trace.start.failure).toEqual({ kind: 'timeout', callback: 'proxy_on_vm_start', message: `proxy_on_vm_start ran longer than ${callbackMs} ms and was stopped` });
      expect(failuresOf(trace)).toHaveLength(1);
      expect([trace.configurations, trace.requests, trace.cost]).toEqual([[], [], null]);
      expect(trace.findings).toEqual([{ code: 'trial_start_failed', message: expect.stringContaining('timeout in proxy_on_vm_start') }]);
    });

    it('ends each memory bomb in proxy_on_vm_start: out of memory naming the limit it hit, or stopped at the deadline while it grows', async () => {
      // Growing the linear memory a page at a time slows down as it grows: whether 128 MiB is reached
      // within the callback's deadline depends on the machine. Either ending names the callback and its limit.
      const memory = (await storedTrace(registry, 'memory-grow-bomb')).start.failure;
      expect(memory.callback).toBe('proxy_on_vm_start');
      expect([memory.kind, memory.message]).toEqual(
        memory.kind === 'out_of_memory'
          ? ['out_of_memory', expect.stringContaining(`cap of ${memoryMb} MiB`)]
          : ['timeout', `proxy_on_vm_start ran longer than ${callbackMs} ms and was stopped`],
      );
      // A table lives in V8's heap: growing it kills the trial's process at its heap limit, not the API.
      const table = (await storedTrace(registry, 'table-grow-bomb')).start.failure;
      expect(table.callback).toBe('proxy_on_vm_start');
      expect([table.kind, table.message]).toEqual(
        table.kind === 'out_of_memory'
          ? ['out_of_memory', `the sandbox's heap passed its limit of ${heapMb} MiB in proxy_on_vm_start`]
          : ['timeout', `proxy_on_vm_start ran longer than ${callbackMs} ms and was stopped`],
      );
    });

    it('reports a trap in the callback it happened in: the first the host calls, or each request callback', async () => {
      const everywhere = await storedTrace(registry, 'trap-everywhere');
      expect(everywhere.start).toMatchObject({ linked: true, vmStarted: null, failure: { kind: 'trap', callback: 'proxy_on_context_create', message: 'unreachable' } });
      expect(failuresOf(everywhere)).toHaveLength(1);
      expect(everywhere.findings).toEqual([{ code: 'trial_start_failed', message: expect.stringContaining('trap in proxy_on_context_create') }]);

      const inRequests = await storedTrace(registry, 'trap-in-requests');
      expect(inRequests.start.failure).toBeNull();
      expect(inRequests.requests.map((r: Json) => [r.name, r.outcome])).toEqual([
        ['GET /', 'failed'],
        ['POST /login', 'failed'],
        ['GET /api/orders', 'failed'],
      ]);
      expect(failuresOf(inRequests)).toEqual(inRequests.requests.map((_: Json, i: number) => ({ where: `requests[${i}]`, kind: 'trap', callback: 'proxy_on_request_headers' })));
      expect(inRequests.findings).toEqual([]);
    });

    it('answers pointers and lengths outside the memory with InvalidMemoryAccess, as proxy-wasm-cpp-host does, never a trap', async () => {
      // proxy_on_vm_start returns true only if each of its six host calls answered InvalidMemoryAccess.
      const trace = await storedTrace(registry, 'out-of-range-pointers');
      expect(trace.start).toMatchObject({ linked: true, vmStarted: true, logs: [], failure: null });
      expect(trace.hostCalls).toBe(6);
      expect(failuresOf(trace)).toEqual([]);
      expect(trace.requests.map((r: Json) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
    });

    it('counts 100,000 calls out of one callback and keeps a bounded few, each answered as an unreachable cluster', async () => {
      const stored = await api(registry.url, 'GET', `${versionPath('http-call-flood')}/trial`);
      expect(stored.bytes.length).toBeLessThan(256 * 1024);
      const trace = stored.json.trace;
      const [flooded, ...others] = trace.requests;
      // The calls take a few hundred ms of the callback's second on an idle machine; on a busy one the deadline
      // may come first, and what the killed callback did is lost with its process: then a timeout is all there is.
      if (flooded.failure !== null) {
        expect(failuresOf(trace)).toEqual([{ where: 'requests[0]', kind: 'timeout', callback: 'proxy_on_request_headers' }]);
        expect(flooded.failure.message).toBe(`proxy_on_request_headers ran longer than ${callbackMs} ms and was stopped`);
        return;
      }
      expect(failuresOf(trace)).toEqual([]);
      expect(flooded.outcome).toBe('completed');
      expect(flooded.callsOut).toHaveLength(TRACE_BOUNDS.callsOutPerSection);
      expect(flooded.callsOut[0]).toEqual({
        kind: 'http',
        upstream: 'flood_cluster',
        headers: [[':method', 'GET'], [':path', '/flood'], [':authority', 'flood.example']],
        body: '',
        timeoutMs: 5000,
        answer: 'failure',
        callback: 'proxy_on_request_headers',
      });
      expect(trace.omitted.callsOut).toBe(FLOOD - TRACE_BOUNDS.callsOutPerSection);
      expect(trace.hostCalls).toBe(FLOOD);
      expect(others.map((r: Json) => [r.outcome, r.failure, r.callsOut.length])).toEqual([['completed', null, 0], ['completed', null, 0]]);
    });

    it('tries the good version published beside them as if they were not there: ready, every request completed, no failure', async () => {
      const version = versions.get(GOOD)!;
      expect({ status: version.status, pipeline: pipelineOf(version), trial: version.trial }).toEqual({
        status: 'ready',
        pipeline: ALL_DONE,
        trial: expect.objectContaining({ started: true, configurationsAccepted: 1, configurationsTried: 1, findings: [], medianMicros: expect.any(Number) }),
      });
      const trace = await storedTrace(registry, GOOD);
      expect(failuresOf(trace)).toEqual([]);
      expect(trace.start).toMatchObject({ linked: true, failure: null });
      expect(trace.findings).toEqual([]);
      expect(trace.omitted).toEqual({});
      expect(trace.requests.map((r: Json) => [r.name, r.outcome, r.logs.map((l: Json) => [l.level, l.message, l.callback])])).toEqual(
        ['GET /', 'POST /login', 'GET /api/orders'].map((name) => [name, 'completed', [['info', GOOD_TAG, 'proxy_on_request_headers']]]),
      );
      expect(trace.cost).toMatchObject({ samples: PIPELINE_TRIAL_LIMITS.costSamples });
    });
  });

  describe('with ANALYSIS_POLICY trial_start_failed=reject', () => {
    let registry: RunningRegistry;
    beforeAll(async () => {
      registry = await startRegistry({ ANALYSIS_POLICY: 'trial_start_failed=reject' });
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it('rejects the version whose proxy_on_vm_start never returns, naming the trial, and keeps the good one ready', async () => {
      const versions = await publishAll(registry, ['loop-at-vm-start', GOOD], bytes);
      const looper = versions.get('loop-at-vm-start')!;
      expect({ status: looper.status, pipeline: pipelineOf(looper), findings: looper.trial?.findings }).toEqual({
        status: 'rejected',
        pipeline: [['analysis', 'done'], ['trial', 'done'], ['sbom', 'skipped'], ['signature', 'skipped']],
        findings: ['trial_start_failed'],
      });
      expect(looper.statusReason).toContain('did not start in the sandbox');
      expect(looper.statusReason).toContain('timeout in proxy_on_vm_start');
      // The trace that rejected it stays readable.
      expect((await storedTrace(registry, 'loop-at-vm-start')).start.failure).toMatchObject({ kind: 'timeout', callback: 'proxy_on_vm_start' });

      const good = versions.get(GOOD)!;
      expect({ status: good.status, findings: good.trial?.findings }).toEqual({ status: 'ready', findings: [] });
    });
  });
});
