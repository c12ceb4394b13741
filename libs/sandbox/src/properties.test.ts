import { describe, expect, it } from 'vitest';
import { parsePairs, propertyBytes, serializePairs } from './properties.js';

const scope = { rootId: 'my-root', vmId: 'vm', stream: null };

describe('what proxy_get_property and the header maps look like in memory', () => {
  it('serializes header pairs as the C++ host does: count, sizes, then NUL-terminated keys and values', () => {
    const bytes = serializePairs([[':path', '/'], ['a', 'bc']]);
    expect([...bytes]).toEqual([
      2, 0, 0, 0,
      5, 0, 0, 0, 1, 0, 0, 0,
      1, 0, 0, 0, 2, 0, 0, 0,
      ...Buffer.from(':path\0/\0a\0bc\0'),
    ]);
    expect(parsePairs(bytes)).toEqual([[':path', '/'], ['a', 'bc']]);
  });

  it('reads malformed pairs as none, never past the end', () => {
    const bytes = serializePairs([['key', 'value']]);
    expect(parsePairs(bytes.subarray(0, bytes.length - 2))).toEqual([]);
    expect(parsePairs(Uint8Array.of(255, 255, 255, 255))).toEqual([]);
    expect(parsePairs(new Uint8Array(0))).toEqual([]);
  });

  it('answers strings as bytes, integers as 8 bytes little-endian, booleans as one byte, unknown paths as null', () => {
    expect(Buffer.from(propertyBytes(['plugin_root_id'], scope)!).toString()).toBe('my-root');
    expect([...propertyBytes(['source', 'port'], scope)!]).toEqual([0x22, 0xc8, 0, 0, 0, 0, 0, 0]); // 51234
    expect([...propertyBytes(['connection', 'mtls'], scope)!]).toEqual([0]);
    expect(Buffer.from(propertyBytes(['node', 'metadata', 'NAMESPACE'], scope)!).toString()).toBe('default');
    expect(propertyBytes(['request', 'path'], scope)).toBeNull(); // no stream in a root context
    expect(propertyBytes(['no', 'such'], scope)).toBeNull();
  });

  it('encodes node.metadata as a protobuf Struct of string values', () => {
    const bytes = propertyBytes(['node', 'metadata'], scope)!;
    // First map entry: field 1 (0x0a), then key "NAME" and a Value with string_value (field 3, 0x1a).
    expect(bytes[0]).toBe(0x0a);
    expect(Buffer.from(bytes.subarray(2, 8))).toEqual(Buffer.from([0x0a, 4, ...Buffer.from('NAME')]));
    expect(Buffer.from(bytes).includes(Buffer.from([0x1a, 'shop-7d9f8b6c5-x2k4q'.length, ...Buffer.from('shop-7d9f8b6c5-x2k4q')]))).toBe(true);
  });
});
