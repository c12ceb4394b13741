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
