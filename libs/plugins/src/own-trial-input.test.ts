import { describe, expect, it } from 'vitest';
import { readOwnTrialInput } from './own-trial-input.js';

const problemsOf = (body: unknown): { field: string; message: string }[] => {
  try {
    readOwnTrialInput(body);
  } catch (error) {
    return (error as { extensions: { errors: { field: string; message: string }[] } }).extensions.errors;
  }
  throw new Error('accepted');
};

describe('readOwnTrialInput', () => {
  it('gives the plugin a JSON value as its JSON text, a text byte for byte, and nothing as an empty configuration', () => {
    expect(readOwnTrialInput({ configuration: { keys: ['x-api-key'] } }).configuration).toEqual({ text: '{"keys":["x-api-key"]}' });
    expect(readOwnTrialInput({ configuration: 'plain' }).configuration).toEqual({ text: '"plain"' });
    expect(readOwnTrialInput({ configurationText: 'keys: [x-api-key]\n' }).configuration).toEqual({ text: 'keys: [x-api-key]\n' });
    expect(readOwnTrialInput({ example: 'default' }).configuration).toEqual({ example: 'default' });
    expect(readOwnTrialInput(undefined)).toEqual({ configuration: { text: '' } });
  });

  it('reads requests with headers as an object or pairs, and upstream answers', () => {
    const input = readOwnTrialInput({
      requests: [{ method: 'POST', path: '/login', headers: [['content-type', 'application/json']], body: '{}' }, { path: '/health', headers: { 'x-a': '1' } }],
      upstreams: { auth: { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'no' }, logs: 'failure' },
    });
    expect(input.requests?.map((r) => [r.name, r.method, r.path, r.headers, r.body])).toEqual([
      ['POST /login', 'POST', '/login', [['content-type', 'application/json']], '{}'],
      ['GET /health', 'GET', '/health', [['x-a', '1']], ''],
    ]);
    expect(input.upstreams).toEqual({
      auth: { kind: 'answer', status: 401, headers: [['www-authenticate', 'Bearer']], body: 'no' },
      logs: { kind: 'failure', status: 0, headers: [], body: '' },
    });
  });

  it('names every field it refuses', () => {
    expect(problemsOf({ configuration: {}, configurationText: 'x' }).map((p) => p.field)).toEqual(['body.configurationText']);
    expect(problemsOf({ configurationText: 'x'.repeat(64 * 1024 + 1) })[0]).toEqual({ field: 'body.configurationText', message: 'must be at most 65536 bytes (got 65537)' });
    expect(problemsOf({ requests: [] })[0]!.field).toBe('body.requests');
    expect(problemsOf({ requests: Array.from({ length: 9 }, () => ({})) })[0]!.message).toBe('must be a list of 1 to 8 requests');
    expect(problemsOf({ requests: [{ method: 'get', path: 'no-slash', headers: { 'Bad Name': 'v', ok: 'line\nbreak' }, body: 3 }] }).map((p) => p.field)).toEqual([
      'body.requests[0].method',
      'body.requests[0].path',
      'body.requests[0].headers[0]',
      'body.requests[0].headers.ok',
      'body.requests[0].body',
    ]);
    expect(problemsOf({ upstreams: { auth: { status: 99 } } })[0]!.field).toBe('body.upstreams.auth.status');
    expect(problemsOf({ upstreams: [] })[0]!.field).toBe('body.upstreams');
    expect(problemsOf({ config: {} })[0]!.field).toBe('body.config');
    expect(problemsOf([1])[0]!.field).toBe('body');
  });
});
