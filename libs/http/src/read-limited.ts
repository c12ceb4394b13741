import type { Readable } from 'node:stream';
import { invalidInput } from '../../domain/index.js';

/** Reads a small upload part into memory, refusing it (400, naming the field) as soon as it passes maxBytes. */
export async function readLimited(stream: Readable, maxBytes: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.resume();
      throw invalidInput([{ field, message: `is larger than ${maxBytes} bytes` }]);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
