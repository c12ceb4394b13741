import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  environmentReader,
  httpCallFlood,
  hugeInitialMemory,
  loopAtVmStart,
  loopInRequestHeaders,
  memoryGrowBomb,
  outOfRangePointers,
  tableGrowBomb,
  trapEverywhere,
  trapInEveryRequestCallback,
  wellBehavedFilter,
} from '../../../testing/hostile-plugins.js';
import { startLivenessProbe, type LivenessProbe } from '../../../testing/liveness-probe.js';
import { processEndFailure, runTrial, spawnTrialProcess, TrialPool, TrialsBusyError } from './trial-runner.js';
import type { TrialFailure, TrialLimits, TrialRequest, TrialTrace } from './trial-types.js';

// Needs the compiled process entry (dist/libs/sandbox/src/trial.worker.js): `npm run build` first, as `npm test` does.

/** Tight enough that every hostile trial ends quickly; the timeouts are what is tested, not how fast. */
const LIMITS: TrialLimits = { memoryMb: 16, heapMb: 48, callbackMs: 300, trialMs: 10_000, ticks: 1, costSamples: 2 };

const trialOf = (module: Uint8Array, limits: Partial<TrialLimits> = {}): TrialRequest => ({
  module,
  configurations: [{ name: '(empty)', text: '' }],
  vmConfiguration: '',
  rootId: 'sandbox-test',
  limits: { ...LIMITS, ...limits },
});

/** Every failure in a trace, with the part of the trial it is in. */
function failuresOf(trace: TrialTrace): { where: string; failure: TrialFailure }[] {
  const found: { where: string; failure: TrialFailure }[] = [];
  if (trace.start.failure) found.push({ where: 'start', failure: trace.start.failure });
  trace.configurations.forEach((c, i) => c.failure && found.push({ where: `configurations[${i}]`, failure: c.failure }));
  trace.requests.forEach((r, i) => r.failure && found.push({ where: `requests[${i}]`, failure: r.failure }));
  trace.connections.forEach((c, i) => c.failure && found.push({ where: `connections[${i}]`, failure: c.failure }));
  if (trace.ticks.failure) found.push({ where: 'ticks', failure: trace.ticks.failure });
  return found;
}

// The main thread's event loop must keep answering while hostile trials run: an HTTP server on this thread,
// probed from another one (testing/liveness-probe.ts), every test of this file long.
let server: Server;
let probe: LivenessProbe;
beforeAll(async () => {
  server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  probe = await startLivenessProbe(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
afterAll(async () => {
  const seen = await probe.stop();
  await new Promise((resolve) => server.close(resolve));
  // Checked last, over every hostile trial of the file.
  expect(seen.failures).toEqual([]);
  expect(seen.count).toBeGreaterThan(0);
  expect(seen.worstMs).toBeLessThan(1_000);
});

describe('runTrial stops a module that runs too long', () => {
  it('an endless proxy_on_vm_start ends as a timeout at start, naming the callback', async () => {
    const trace = await runTrial(trialOf(await loopAtVmStart()));
    expect(trace.start.failure).toEqual({ kind: 'timeout', callback: 'proxy_on_vm_start', message: 'proxy_on_vm_start ran longer than 300 ms and was stopped' });
    // It linked before it looped: the process handed that over before it was killed.
    expect(trace.start.linked).toBe(true);
    expect(trace.findings.map((f) => f.code)).toContain('trial_start_failed');
  });

  it('an endless request callback ends as a timeout in the first request, after a start that succeeded', async () => {
    const trace = await runTrial(trialOf(await loopInRequestHeaders()));
    expect(trace.start.failure).toBeNull();
    expect(failuresOf(trace)).toEqual([
      { where: 'requests[0]', failure: { kind: 'timeout', callback: 'proxy_on_request_headers', message: 'proxy_on_request_headers ran longer than 300 ms and was stopped' } },
    ]);
  });

  it('a trial past its own deadline is stopped even when no callback is over its own', async () => {
    const trace = await runTrial(trialOf(await loopAtVmStart(), { callbackMs: 60_000, trialMs: 3_000 }));
    expect(trace.start.failure).toEqual({
      kind: 'timeout',
      callback: 'proxy_on_vm_start',
      message: 'the trial ran longer than 3000 ms and was stopped in proxy_on_vm_start',
    });
  });
});

describe('runTrial holds a module to its memory', () => {
  it('memory.grow fails at the cap, and the trap that follows is reported as out of memory naming the cap', async () => {
    const trace = await runTrial(trialOf(await memoryGrowBomb()));
    expect(trace.start.failure).toMatchObject({ kind: 'out_of_memory', callback: 'proxy_on_vm_start', message: expect.stringContaining('16 MiB') });
    expect(trace.findings).toEqual([{ code: 'trial_start_failed', message: expect.stringContaining('out_of_memory in proxy_on_vm_start') }]);
  });

  it('a module whose memory starts over the cap is refused before it runs', async () => {
    const trace = await runTrial(trialOf(await hugeInitialMemory()));
    expect(trace.start.failure).toEqual({
      kind: 'out_of_memory',
      callback: null,
      message: "the module's memory starts at 32768 pages (2048 MiB), over the sandbox's cap of 256 pages (16 MiB)",
    });
    expect(trace.start.linked).toBe(false);
  });

  it("a table grown without end exhausts the trial's heap: out of memory naming the heap's limit, and this process lives on", async () => {
    // A callback deadline long enough for the heap to run out first.
    const trace = await runTrial(trialOf(await tableGrowBomb(), { callbackMs: 9_000 }));
    expect(trace.start.failure).toEqual({ kind: 'out_of_memory', callback: 'proxy_on_vm_start', message: "the sandbox's heap passed its limit of 48 MiB in proxy_on_vm_start" });
  });
});

describe('a process that ends without its trace', () => {
  it("is out of memory when V8 says its heap is full, naming the heap's limit", () => {
    const stderr = '<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n';
    expect(processEndFailure({ code: null, signal: 'SIGABRT', stderr, callback: 'proxy_on_tick', limits: LIMITS })).toEqual({
      kind: 'out_of_memory',
      callback: 'proxy_on_tick',
      message: "the sandbox's heap passed its limit of 48 MiB in proxy_on_tick",
    });
  });

  it('is a host error otherwise, with what the process said', () => {
    expect(processEndFailure({ code: null, signal: 'SIGSEGV', stderr: '', callback: null, limits: LIMITS })).toEqual({
      kind: 'host_error',
      callback: null,
      message: "the sandbox's process stopped (SIGSEGV)",
    });
    expect(processEndFailure({ code: 1, signal: null, stderr: 'TypeError: x is not a function\n', callback: 'proxy_on_log', limits: LIMITS })).toEqual({
      kind: 'host_error',
      callback: 'proxy_on_log',
      message: "the sandbox's process stopped (exit code 1): TypeError: x is not a function",
    });
  });
});

describe('runTrial reports what the module does to itself and to the host', () => {
  it('a module trapping in every callback fails in the first one the host calls', async () => {
    const trace = await runTrial(trialOf(await trapEverywhere()));
    expect(trace.start.failure).toMatchObject({ kind: 'trap', callback: 'proxy_on_context_create' });
  });

  it('a module trapping in every request callback fails every request, in proxy_on_request_headers', async () => {
    const trace = await runTrial(trialOf(await trapInEveryRequestCallback()));
    expect(trace.start.failure).toBeNull();
    expect(trace.requests.length).toBeGreaterThan(0);
    for (const request of trace.requests) {
      expect(request).toMatchObject({ outcome: 'failed', failure: { kind: 'trap', callback: 'proxy_on_request_headers' } });
    }
  });

  it('bytes that are not a module end as a link failure at start, not a rejection', async () => {
    const trace = await runTrial(trialOf(Buffer.from('(module)\n')));
    expect(trace.start).toMatchObject({ linked: false, failure: { kind: 'link', callback: null, message: expect.stringContaining('WebAssembly text') } });
  });

  it('pointers and lengths outside the memory get InvalidMemoryAccess from every host call, not a trap', async () => {
    const trace = await runTrial(trialOf(await outOfRangePointers()));
    expect(failuresOf(trace)).toEqual([]);
    expect(trace.start.vmStarted).toBe(true);
  });

  it('100,000 calls out in one callback are counted, and the trace keeps a bounded few', async () => {
    // A callback deadline long enough for every call to be made: the bound is tested here, not the speed.
    const trace = await runTrial(trialOf(await httpCallFlood(), { callbackMs: 5_000 }));
    expect(failuresOf(trace)).toEqual([]);
    expect(trace.hostCalls).toBeGreaterThanOrEqual(100_000);
    expect(trace.requests[0]!.callsOut.length).toBeGreaterThan(0);
    expect(trace.requests[0]!.callsOut.length).toBeLessThanOrEqual(50);
    expect(trace.omitted.callsOut).toBe(100_000 - trace.requests[0]!.callsOut.length);
    expect(JSON.stringify(trace).length).toBeLessThan(1_000_000);
  });
});

describe('the trial thread sees nothing of the registry', () => {
  it('the process starts with an empty environment, no arguments, and cannot read a file nor start a process', async () => {
    // (It may start threads: its watcher is one. The module runs no JavaScript, so cannot start any.)
    process.env.SANDBOX_TEST_SECRET = 'must-not-leak';
    try {
      const source = `
        const { readFileSync, writeSync } = require('node:fs');
        const attempt = (what) => { try { what(); return 'allowed'; } catch (error) { return error.code; } };
        writeSync(3, JSON.stringify({
          env: { ...process.env },
          argv: process.argv.slice(1),
          readFile: attempt(() => readFileSync('/etc/hostname')),
          readRepository: attempt(() => readFileSync(${JSON.stringify(fileURLToPath(new URL('../../../package.json', import.meta.url)))})),
          spawn: attempt(() => require('node:child_process').execFileSync('/bin/true')),
          write: attempt(() => require('node:fs').writeFileSync('/tmp/sandbox-test-must-not-exist', 'x')),
        }));`;
      const child = spawnTrialProcess(LIMITS, ['-e', source]);
      child.stdin!.end();
      let said = '';
      child.stdio[3]!.on('data', (chunk: Buffer) => (said += chunk.toString()));
      const [code] = await once(child, 'close');
      expect(code).toBe(0);
      expect(JSON.parse(said)).toEqual({
        env: {},
        argv: [],
        readFile: 'ERR_ACCESS_DENIED',
        readRepository: 'ERR_ACCESS_DENIED',
        spawn: 'ERR_ACCESS_DENIED',
        write: 'ERR_ACCESS_DENIED',
      });
    } finally {
      delete process.env.SANDBOX_TEST_SECRET;
    }
  });

  it('a module asking WASI for its environment and preopened directories finds none', async () => {
    process.env.SANDBOX_TEST_SECRET = 'must-not-leak';
    try {
      const trace = await runTrial(trialOf(await environmentReader()));
      expect(trace.start).toMatchObject({ failure: null, vmStarted: true });
    } finally {
      delete process.env.SANDBOX_TEST_SECRET;
    }
  });
});

describe('a runner that dies', () => {
  /** Pids of the processes whose parent is `pid`. */
  const childrenOf = (pid: number): number[] =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };

  it('leaves no trial process behind, not even one stuck in an endless callback', async () => {
    const sandbox = fileURLToPath(new URL('../../../dist/libs/sandbox/index.js', import.meta.url));
    const source = `
      import { runTrial } from ${JSON.stringify(sandbox)};
      const chunks = []; for await (const chunk of process.stdin) chunks.push(chunk);
      runTrial({ module: new Uint8Array(Buffer.concat(chunks)), configurations: [], vmConfiguration: '', rootId: 'orphan',
        limits: ${JSON.stringify({ ...LIMITS, callbackMs: 60_000, trialMs: 60_000 })} });`;
    const runner = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['pipe', 'ignore', 'inherit'] });
    runner.stdin.end(await loopAtVmStart());
    let trials: number[] = [];
    for (let waited = 0; trials.length === 0 && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      trials = childrenOf(runner.pid!);
    }
    expect(trials.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500)); // into the endless callback
    runner.kill('SIGKILL');
    for (let waited = 0; trials.some(alive) && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(trials.filter(alive)).toEqual([]);
  });
});

describe('the processes trials run in', () => {
  /** Pids of this process's children started with this heap limit (a limit no other test uses). */
  const HEAP_MB = 47;
  const trialProcesses = (): number[] =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return parent === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(`--max-old-space-size=${HEAP_MB}`);
        } catch {
          return false;
        }
      })
      .map(Number);
  const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));
  const comparable = (trace: TrialTrace) => ({ ...trace, elapsedMs: 0, cost: null });

  it('runs the next trial in the process that handed over its trace, with nothing of the trial before; a process stopped at a deadline is replaced', async () => {
    const good = trialOf(await wellBehavedFilter(), { heapMb: HEAP_MB });
    const first = await runTrial(good);
    await settled();
    const afterFirst = trialProcesses();
    expect(afterFirst).toHaveLength(1);

    const second = await runTrial(good);
    await settled();
    expect(trialProcesses()).toEqual(afterFirst);
    expect(comparable(second)).toEqual(comparable(first));

    const stopped = await runTrial(trialOf(await loopAtVmStart(), { heapMb: HEAP_MB }));
    expect(failuresOf(stopped).map((f) => f.failure.kind)).toEqual(['timeout']);
    await settled();
    const afterStop = trialProcesses();
    expect(afterStop).toHaveLength(1);
    expect(afterStop).not.toEqual(afterFirst);
    expect(comparable(await runTrial(good))).toEqual(comparable(first));
  });
});

describe('TrialPool', () => {
  it('a hostile trial beside a good one does not disturb it', async () => {
    const pool = new TrialPool({ concurrency: 2, queueLength: 0 });
    const [hostile, good] = await Promise.all([pool.run(trialOf(await loopInRequestHeaders())), pool.run(trialOf(await wellBehavedFilter()))]);
    expect(failuresOf(hostile).map((f) => f.failure.kind)).toEqual(['timeout']);
    expect(failuresOf(good)).toEqual([]);
    expect(good.requests.length).toBeGreaterThan(0);
    for (const request of good.requests) expect(request.request.headers.added).toContainEqual(['x-sandbox-checked', 'yes']);
  });

  it('runs at most `concurrency` trials, queues in order, and refuses past the queue with TrialsBusyError', async () => {
    const started: string[] = [];
    const finish: (() => void)[] = [];
    const pool = new TrialPool({
      concurrency: 1,
      queueLength: 1,
      run: (request) =>
        new Promise<TrialTrace>((resolve) => {
          started.push(request.rootId);
          finish.push(() => resolve({ rootId: request.rootId } as unknown as TrialTrace));
        }),
    });
    const named = (rootId: string): TrialRequest => ({ ...trialOf(new Uint8Array()), rootId });
    const first = pool.run(named('first'));
    const second = pool.run(named('second'));
    await expect(pool.run(named('third'))).rejects.toThrow(TrialsBusyError);
    await expect(pool.run(named('third'))).rejects.toMatchObject({ code: 'trials_busy', running: 1, queued: 1, retryAfterSeconds: 10 });
    expect(started).toEqual(['first']);
    expect(pool.size).toEqual({ running: 1, queued: 1 });
    finish[0]!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['first', 'second']);
    finish[1]!();
    await second;
    expect(pool.size).toEqual({ running: 0, queued: 0 });
  });

  it('makes a deferred request only once it has a slot: a refused trial reads no module', async () => {
    let finish = (): void => {};
    const pool = new TrialPool({
      concurrency: 1,
      queueLength: 0,
      run: () => new Promise<TrialTrace>((resolve) => (finish = () => resolve({} as TrialTrace))),
    });
    let made = 0;
    const deferred = { limits: LIMITS, make: async () => (made++, trialOf(new Uint8Array())) };
    const first = pool.run(deferred);
    await expect(pool.run(deferred)).rejects.toThrow(TrialsBusyError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toBe(1);
    finish();
    await first;
    // A request that cannot be made frees its slot too.
    await expect(pool.run({ limits: LIMITS, make: () => Promise.reject(new Error('storage down')) })).rejects.toThrow('storage down');
    expect(pool.size).toEqual({ running: 0, queued: 0 });
  });

  it('a trial that fails to run frees its slot', async () => {
    const pool = new TrialPool({ concurrency: 1, queueLength: 0, run: () => Promise.reject(new Error('boom')) });
    await expect(pool.run(trialOf(new Uint8Array()))).rejects.toThrow('boom');
    expect(pool.size).toEqual({ running: 0, queued: 0 });
  });
});
