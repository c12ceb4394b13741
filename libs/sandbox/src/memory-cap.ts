import { encodeUnsignedLeb128, parseWasm } from '../../analysis/index.js';

/** Bytes in one page of linear memory (the only page size V8 and Envoy's runtimes support). */
export const WASM_PAGE_BYTES = 65_536;

export type MemoryCap =
  /** The module to run: its memory can never grow past the cap (the same bytes when it already could not). */
  | { ok: true; module: Uint8Array; maxPages: number }
  /** Not run: why, as a failure of the trial's start. */
  | { ok: false; kind: 'link' | 'out_of_memory'; message: string };

const MEMORY_SECTION_ID = 5;

const mib = (pages: number): string => `${Number(((pages * WASM_PAGE_BYTES) / 2 ** 20).toFixed(2))} MiB`;

/**
 * Lowers the module's declared linear-memory maximum to `maxPages` by rewriting its memory section, so that
 * memory.grow past the cap fails inside the module (it returns -1, as it does in Envoy at the engine's limit)
 * instead of taking the process's memory. A module whose memory already starts over the cap is refused, and so
 * is one whose memory this could not hold: more than one memory, custom page sizes, or a module whose structure
 * cannot be read. An imported memory is left to the host, which creates it with the cap as its maximum.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): MemoryCap {
  const parsed = parseWasm(bytes);
  if (parsed.header?.kind !== 'module' || parsed.error) {
    return { ok: false, kind: 'link', message: `the module cannot be read: ${parsed.error?.message ?? 'it is not a core module'}` };
  }
  const { memories } = parsed;
  const imported = parsed.imports.filter((entry) => entry.kind === 'memory');
  if (memories.length + imported.length > 1) {
    return { ok: false, kind: 'link', message: `the module has ${memories.length + imported.length} memories; the sandbox runs modules with one` };
  }
  // An imported memory is created by the host, as Envoy's creates it, with the cap as its maximum (perform-trial.ts).
  if (memories.length === 0) return { ok: true, module: bytes, maxPages };
  const memory = memories[0]!;
  if (memory.pageSizeLog2 !== null) {
    return { ok: false, kind: 'link', message: `the module's memory uses custom pages of 2^${memory.pageSizeLog2} bytes, which the sandbox does not run` };
  }
  if (memory.shared && memory.maximum === null) {
    // Invalid as it stands (V8 refuses it): adding a maximum must not make it valid.
    return { ok: false, kind: 'link', message: 'the module declares a shared memory without a maximum, which is invalid' };
  }
  if (memory.initial > maxPages) {
    return {
      ok: false,
      kind: 'out_of_memory',
      message: `the module's memory starts at ${memory.initial} pages (${mib(memory.initial)}), over the sandbox's cap of ${maxPages} pages (${mib(maxPages)})`,
    };
  }
  if (memory.maximum !== null && memory.maximum <= maxPages) return { ok: true, module: bytes, maxPages };

  // Flags: bit 0 has a maximum, bit 1 shared, bit 2 64-bit (memory64 limits are LEB128 u64: the same encoder).
  const flags = 0x01 | (memory.shared ? 0x02 : 0) | (memory.memory64 ? 0x04 : 0);
  const payload = concat([encodeUnsignedLeb128(1), [flags], encodeUnsignedLeb128(memory.initial), encodeUnsignedLeb128(maxPages)]);
  const section = parsed.sections.find((entry) => entry.id === MEMORY_SECTION_ID)!;
  const module = concat([
    bytes.subarray(0, section.offset),
    [MEMORY_SECTION_ID],
    encodeUnsignedLeb128(payload.length),
    payload,
    bytes.subarray(section.payloadOffset + section.size),
  ]);
  return { ok: true, module, maxPages };
}

function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
