import type { ByteRange } from '../../storage/index.js';

export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'satisfiable'; range: ByteRange }
  | { kind: 'unsatisfiable' };

/**
 * Reads a Range header for a representation of `size` bytes. Only single byte
 * ranges are served; anything else is answered with the whole body, which
 * RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'none' };
  const [, first, last] = match;
  if (first === '') {
    // "bytes=-N": the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'satisfiable', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (last !== '' && Number(last) < start) return { kind: 'none' };
  return { kind: 'satisfiable', range: { start, end } };
}
