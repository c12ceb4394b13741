/**
 * Collects what booting left behind (Nest's module scan, the migrations, PGlite's start) before the
 * process takes traffic. V8 frees it by itself only after several quiet seconds, so an embedded API's
 * resident size shortly after a start was 300 or 240 MiB depending on when it was read (bench/RESULTS.md,
 * "Embedded memory"). One forced collection costs ~0.3 s of start-up. It needs `--expose-gc`, which the
 * npm start scripts, the image and the compose file pass; without it this does nothing.
 */
export function collectBootGarbage(): void {
  const gc = (globalThis as { gc?: (options: { type: 'major'; flavor: 'last-resort' }) => void }).gc;
  // 'last-resort' collects until nothing more is freed and shrinks the heap's spaces, as V8's memory reducer does.
  gc?.({ type: 'major', flavor: 'last-resort' });
}
