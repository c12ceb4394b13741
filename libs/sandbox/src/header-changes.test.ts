import { describe, expect, it } from 'vitest';
import { headerChanges } from './perform-trial.js';

describe('headerChanges', () => {
  it('reports a second value added under a name that was already there', () => {
    expect(headerChanges([['x-request-id', 'a']], [['x-request-id', 'a'], ['x-request-id', 'b']])).toEqual({
      added: [['x-request-id', 'b']],
      replaced: [],
      removed: [],
    });
  });

  it('pairs a changed value as a replacement, and names a header whose values all went', () => {
    expect(headerChanges([['user-agent', 'curl'], ['x-debug', '1'], ['x-debug', '2']], [['user-agent', 'mask']])).toEqual({
      added: [],
      replaced: [['user-agent', 'curl', 'mask']],
      removed: ['x-debug'],
    });
  });

  it('sees nothing when only the order of values changed', () => {
    expect(headerChanges([['via', 'a'], ['via', 'b']], [['via', 'b'], ['via', 'a']])).toEqual({ added: [], replaced: [], removed: [] });
  });
});
