import type { TrialRequest, TrialTrace } from '../../sandbox/index.js';
import type { TrialRunner } from '../src/trial-request.js';

/** A trace as the sandbox writes one for a plugin that starts, accepts its configurations and lets a GET through. */
export function traceOf(overrides: Partial<TrialTrace> = {}): TrialTrace {
  const noChanges = { added: [], replaced: [], removed: [] };
  return {
    traceVersion: 1,
    host: { engine: 'V8 (fake)', abiVersion: '0.2.1', caveat: 'not Envoy' },
    filterType: 'http',
    start: { linked: true, unknownImports: [], entryPoint: '_initialize', vmStarted: true, logs: [], failure: null },
    configurations: [{ name: '(empty)', accepted: true, logs: [], failure: null }],
    requests: [
      {
        name: 'GET /',
        steps: [{ callback: 'proxy_on_request_headers', action: 'Continue' }],
        request: { headers: { added: [['x-request-id', '1']], replaced: [], removed: [] }, bodyChanged: false, trailers: noChanges },
        response: { headers: noChanges, bodyChanged: false, trailers: noChanges },
        localResponse: null,
        callsOut: [],
        metrics: [],
        logs: [],
        outcome: 'completed',
        failure: null,
      },
    ],
    connections: [],
    ticks: { fired: 0, callsOut: [], logs: [], failure: null },
    sharedData: [],
    metrics: [],
    cost: { medianMicros: 38, p95Micros: 61, samples: 50, memoryBytesAfterStart: 1_114_112, caveat: 'not a latency promise' },
    findings: [],
    omitted: {},
    hostCalls: 12,
    elapsedMs: 40,
    ...overrides,
  };
}

/** Answers every trial with `trace` (or what `answer` makes of the request) and keeps the requests it was given. */
export class FakeTrialRunner implements TrialRunner {
  readonly requests: TrialRequest[] = [];
  constructor(private readonly answer: (request: TrialRequest) => TrialTrace | Promise<TrialTrace> = () => traceOf()) {}

  async runTrial(request: TrialRequest): Promise<TrialTrace> {
    this.requests.push(request);
    return this.answer(request);
  }
}
