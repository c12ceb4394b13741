import { deserialize, serialize } from 'node:v8';
import type { TrialPosition } from './perform-trial.js';
import type { TrialCallback, TrialRequest, TrialTrace } from './trial-types.js';

/**
 * What the runner and the trial's process say to each other. The runner writes one assignment to the
 * process's stdin (assignmentChunks); the process writes TrialRunnerMessages, each as a frame (u32 LE length,
 * then the V8 serialization), with blocking writes: its main thread the checkpoints and the trace on fd 3, its
 * watcher thread which callback is running on fd 4 (one writer per fd, so frames never interleave).
 */
export interface TrialAssignment {
  request: TrialRequest;
  /** Where a failure goes when the trial stops before its first checkpoint. */
  unstarted: TrialTrace;
}

/**
 * The assignment as chunks for a stream: a frame of everything but the module, then the module's bytes as
 * they are, so that a 30 MiB module is neither serialized nor copied on the runner's event loop.
 */
export function assignmentChunks({ request, unstarted }: TrialAssignment): Uint8Array[] {
  const { module, ...rest } = request;
  const head = serialize({ request: rest, unstarted });
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32LE(head.length, 0);
  return [length, head, module];
}

/** The assignment from everything the process read on its stdin. */
export function readAssignment(bytes: Buffer): TrialAssignment {
  const length = bytes.readUInt32LE(0);
  const { request, unstarted } = deserialize(bytes.subarray(4, 4 + length)) as { request: Omit<TrialRequest, 'module'>; unstarted: TrialTrace };
  return { request: { ...request, module: bytes.subarray(4 + length) }, unstarted };
}

/** enter, leave and alive on WATCH_FD; checkpoint and done on MESSAGES_FD. */
export type TrialRunnerMessage =
  | { type: 'enter'; callback: TrialCallback; at: TrialPosition }
  | { type: 'leave' }
  /** Nothing to tell: written so that the process notices when the runner is gone. */
  | { type: 'alive' }
  | { type: 'checkpoint'; trace: TrialTrace }
  | { type: 'done'; trace: TrialTrace };

/** The process's fd for checkpoints and done. */
export const MESSAGES_FD = 3;
/** The process's fd for enter and leave. */
export const WATCH_FD = 4;

/** A frame larger than this is not something the host writes (traces are bounded): the stream is broken. */
const MAX_FRAME_BYTES = 64 * 2 ** 20;

export function encodeFrame(message: TrialRunnerMessage): Buffer {
  const body = serialize(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Reassembles frames from the chunks of a stream. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The messages completed by `chunk`; throws when the stream cannot be frames. */
  push(chunk: Buffer): TrialRunnerMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: TrialRunnerMessage[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32LE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`a frame of ${length} bytes from the trial's process`);
      if (this.pending.length < 4 + length) break;
      messages.push(deserialize(this.pending.subarray(4, 4 + length)) as TrialRunnerMessage);
      this.pending = this.pending.subarray(4 + length);
    }
    return messages;
  }
}
