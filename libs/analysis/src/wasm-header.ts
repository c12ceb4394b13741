/**
 * The first eight bytes of a WebAssembly binary: the magic "\0asm" and a
 * 32-bit version field. Core modules use version 1; Component Model binaries
 * put version 0x0d and layer 1 in the same four bytes.
 */
export const WASM_HEADER_LENGTH = 8;

export type WasmBinaryKind = 'module' | 'component';

export type WasmHeaderCheck =
  | { ok: true; kind: WasmBinaryKind }
  | { ok: false; reason: string };

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function checkWasmHeader(header: Uint8Array): WasmHeaderCheck {
  if (header.length < WASM_HEADER_LENGTH) {
    return { ok: false, reason: `the body is ${header.length} bytes long; a WebAssembly binary has at least an 8-byte header` };
  }
  if (!MAGIC.every((byte, i) => header[i] === byte)) {
    return { ok: false, reason: `the body does not start with the WebAssembly magic bytes 00 61 73 6d (got ${hex(header.subarray(0, 4))})` };
  }
  const version = header[4]! | (header[5]! << 8);
  const layer = header[6]! | (header[7]! << 8);
  if (version === 1 && layer === 0) return { ok: true, kind: 'module' };
  if (version === 0x0d && layer === 1) return { ok: true, kind: 'component' };
  return {
    ok: false,
    reason: `unknown WebAssembly version/layer ${hex(header.subarray(4, 8))}: allowed are 01 00 00 00 (core module) and 0d 00 01 00 (component)`,
  };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
