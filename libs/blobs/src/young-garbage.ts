/**
 * Every socket read allocates a fresh 64 KiB buffer, and V8 frees those only
 * when its external-memory limit (about 64 MiB) is reached, not when they die.
 * During a large upload most of the module would linger in RSS as garbage.
 * When the process runs with --expose-gc (the start scripts pass it), a minor
 * GC every few MiB frees them for about a millisecond each.
 */
const collect = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;

export const YOUNG_GARBAGE_INTERVAL_BYTES = 4 * 1024 * 1024;

export function collectYoungGarbage(): void {
  collect?.({ type: 'minor' });
}

/** Passes a stream's chunks through unchanged, collecting young garbage every few MiB as they go by. */
export async function* collectingYoungGarbage(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of chunks) {
    if (Math.floor((size + chunk.length) / YOUNG_GARBAGE_INTERVAL_BYTES) > Math.floor(size / YOUNG_GARBAGE_INTERVAL_BYTES)) collectYoungGarbage();
    size += chunk.length;
    yield chunk;
  }
}
