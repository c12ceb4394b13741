import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { requestIdOf } from './request-telemetry.js';

const withHeader = (value: string | string[] | undefined) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;
/** Ours: a random prefix of this process, then a counter. */
const OURS = /^[0-9a-f]{16}-[0-9a-z]+$/;

describe('requestIdOf', () => {
  it("keeps a client's well-formed request id", () => {
    expect(requestIdOf(withHeader('req-42.a:b@c_D'))).toBe('req-42.a:b@c_D');
  });

  it('replaces a missing, repeated, overlong or odd one with a new id of its own', () => {
    for (const value of [undefined, ['a', 'b'], 'x'.repeat(129), 'has space', 'quote"', '{"json":1}', '']) {
      const id = requestIdOf(withHeader(value));
      expect(id, JSON.stringify(value)).toMatch(OURS);
    }
    expect(requestIdOf(withHeader(undefined))).not.toBe(requestIdOf(withHeader(undefined)));
  });
});
