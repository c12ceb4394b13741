import type { TrialPosition } from './perform-trial.js';

/**
 * Which callback the trial's main thread is in, on a SharedArrayBuffer that its watcher thread reads: telling
 * costs the main thread a few stores per callback, where a message to the runner cost some 30 µs (a system
 * call, and the runner woken), which the cost figures would have counted. A sequence lock keeps a reader from
 * taking a half-written entry: the writer makes the sequence odd, writes, then makes it even.
 */

const SECTIONS: readonly TrialPosition['section'][] = ['start', 'configurations', 'requests', 'connections', 'ticks', 'cost'];
const NAME_BYTES = 256;
// Int32 slots: sequence, inside (1) or not (0), section, index, name length.
const SEQUENCE = 0;
const INSIDE = 1;
const SECTION = 2;
const INDEX = 3;
const NAME_LENGTH = 4;
const HEADER_BYTES = 32;

export const CALLBACK_BOARD_BYTES = HEADER_BYTES + NAME_BYTES;

export type BoardState = { sequence: number; callback: string; at: TrialPosition } | { sequence: number; callback: null };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CallbackBoard {
  private readonly words: Int32Array;
  private readonly name: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.name = new Uint8Array(buffer, HEADER_BYTES, NAME_BYTES);
  }

  enter(callback: string, at: TrialPosition): void {
    this.write(() => {
      this.words[INSIDE] = 1;
      this.words[SECTION] = SECTIONS.indexOf(at.section);
      this.words[INDEX] = at.index;
      this.words[NAME_LENGTH] = encoder.encodeInto(callback, this.name).written;
    });
  }

  leave(): void {
    this.write(() => {
      this.words[INSIDE] = 0;
    });
  }

  /** The latest state, or null while it is being written (read again later). */
  read(): BoardState | null {
    const before = Atomics.load(this.words, SEQUENCE);
    if (before % 2 === 1) return null;
    const inside = this.words[INSIDE] === 1;
    const section = SECTIONS[this.words[SECTION]!] ?? 'start';
    const index = this.words[INDEX]!;
    const callback = inside ? decoder.decode(this.name.slice(0, this.words[NAME_LENGTH])) : null;
    if (Atomics.load(this.words, SEQUENCE) !== before) return null;
    return callback === null ? { sequence: before, callback } : { sequence: before, callback, at: { section, index } };
  }

  private write(fill: () => void): void {
    Atomics.add(this.words, SEQUENCE, 1);
    fill();
    Atomics.add(this.words, SEQUENCE, 1);
  }
}
