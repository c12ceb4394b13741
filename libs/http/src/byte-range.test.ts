import { describe, expect, it } from 'vitest';
import { parseRange } from './byte-range.js';

describe('Range header', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=10-19', { start: 10, end: 19 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=50-5000', { start: 50, end: 99 }],
  ])('%s of 100 bytes', (header, range) => {
    expect(parseRange(header, 100)).toEqual({ kind: 'satisfiable', range });
  });
  it('reports ranges past the end as unsatisfiable', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
  });
  it('ignores what it does not serve: other units, several ranges, reversed ranges', () => {
    for (const header of [undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-3', 'bytes=-']) {
      expect(parseRange(header, 100)).toEqual({ kind: 'none' });
    }
  });
});
