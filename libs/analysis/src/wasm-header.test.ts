import { describe, expect, it } from 'vitest';
import { checkWasmHeader } from './wasm-header.js';

describe('wasm header', () => {
  const header = (...bytes: number[]) => Uint8Array.from(bytes);
  it('recognises core modules and components', () => {
    expect(checkWasmHeader(header(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))).toEqual({ ok: true, kind: 'module' });
    expect(checkWasmHeader(header(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0))).toEqual({ ok: true, kind: 'component' });
  });
  it('explains what is wrong', () => {
    const badMagic = checkWasmHeader(header(0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0));
    expect(badMagic.ok || badMagic.reason).toContain('magic bytes 00 61 73 6d (got 7f 45 4c 46)');
    const badVersion = checkWasmHeader(header(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0));
    expect(badVersion.ok || badVersion.reason).toContain('unknown WebAssembly version/layer 02 00 00 00');
    const short = checkWasmHeader(header(0, 0x61));
    expect(short.ok || short.reason).toContain('2 bytes long');
  });
});
