import { describe, expect, it } from 'vitest';
import { traceOf } from '../../../pipeline/test/trial-runner.fake.js';
import type { RequestTrace } from '../../../sandbox/index.js';
import { requestsFromText, traceLines, traceView } from './trial-view.js';

const noChanges = { added: [], replaced: [], removed: [] };
const login: RequestTrace = {
  name: 'POST /login',
  steps: [{ callback: 'proxy_on_request_headers', action: 'StopIteration' }],
  request: { headers: noChanges, bodyChanged: false, trailers: noChanges },
  response: { headers: noChanges, bodyChanged: false, trailers: noChanges },
  localResponse: { status: 401, details: 'no_token', headers: [], body: 'denied', grpcStatus: null, callback: 'proxy_on_request_headers' },
  callsOut: [],
  metrics: [],
  logs: [],
  outcome: 'local_response',
  failure: null,
};

describe('the readable trial trace', () => {
  it('reads as the issue shows it', () => {
    const trace = traceOf({ configurations: [{ name: 'default', accepted: true, logs: [], failure: null }] });
    trace.requests.push(login);
    expect(traceLines(trace).join('; ')).toBe(
      'starts: yes; configure(example "default"): true; GET / → Continue, added `x-request-id`; POST /login → local response 401; calls out: none; 38 µs per request',
    );
  });

  it('says why a module did not start, which configuration failed how, and whom it called', () => {
    const trace = traceOf({
      start: { linked: true, unknownImports: [], entryPoint: '_initialize', vmStarted: false, logs: [], failure: null },
      configurations: [{ name: '(empty)', accepted: null, logs: [], failure: { kind: 'trap', callback: 'proxy_on_configure', message: 'unreachable' } }],
      cost: null,
    });
    trace.requests[0]!.callsOut.push({ kind: 'http', upstream: 'auth', headers: [], body: '', timeoutMs: 1000, answer: 'failure', callback: 'proxy_on_request_headers' });
    expect(traceLines(trace)).toEqual([
      'starts: no (proxy_on_vm_start returned false)',
      'configure(empty configuration): failed (trap in proxy_on_configure: unreachable)',
      'GET / → Continue, added `x-request-id`, called auth (http)',
      'calls out: auth (http)',
    ]);
  });

  it('escapes what the module wrote', () => {
    const trace = traceOf();
    trace.start.logs.push({ level: 'info', message: '<script>alert(1)</script>', callback: 'proxy_on_vm_start' });
    expect(traceView(trace, 'trial').value).not.toContain('<script>');
  });

  it('reads the form\'s requests, one per line', () => {
    expect(requestsFromText('GET /admin authorization: Bearer x; x-a: 1\n\nPOST /login')).toEqual([
      { method: 'GET', path: '/admin', headers: [['authorization', 'Bearer x'], ['x-a', '1']] },
      { method: 'POST', path: '/login', headers: [] },
    ]);
    expect(requestsFromText('  \n')).toBeNull();
  });
});
