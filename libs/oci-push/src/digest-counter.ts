import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through while hashing (SHA-256) and counting them; fails the
 * stream with `tooLarge()` once more than `maxBytes` went by, so a blob is
 * never held whole and never grows past the limit.
 */
export class DigestCounter extends Transform {
  private readonly hash = createHash('sha256');
  private count = 0;
  private digestValue: string | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {
    super();
  }

  get size(): number {
    return this.count;
  }

  /** `sha256:<hex>` once the stream has ended. */
  get digest(): string {
    if (this.digestValue === null) throw new Error('the stream has not ended');
    return this.digestValue;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) return callback(this.tooLarge());
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digestValue = `sha256:${this.hash.digest('hex')}`;
    callback();
  }
}
