import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { checkWasmHeader, WASM_HEADER_LENGTH, type WasmBinaryKind } from '../../analysis/index.js';
import { RegistryError } from '../../domain/index.js';
import { collectYoungGarbage, YOUNG_GARBAGE_INTERVAL_BYTES } from './young-garbage.js';

export interface InspectedModule {
  /** Lowercase hex SHA-256 of every byte that passed through. */
  digestHex: string;
  size: number;
  kind: WasmBinaryKind;
}

export const moduleTooLarge = (maxSize: number): RegistryError =>
  new RegistryError(
    413,
    'module_too_large',
    'Module too large',
    `the module is larger than the limit of ${maxSize} bytes (${formatMiB(maxSize)})`,
    { maxSize },
  );

export const invalidModule = (reason: string): RegistryError =>
  new RegistryError(400, 'invalid_module', 'Not a WebAssembly binary', reason);

/**
 * Passes an uploaded module through unchanged while hashing and counting it,
 * so the module is never held whole in memory. Fails the stream as soon as the
 * size limit is crossed or the first eight bytes are not a WebAssembly header.
 */
export class ModuleInspector extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  private header: Buffer = Buffer.alloc(0);
  private kind: WasmBinaryKind | null = null;
  private result: InspectedModule | null = null;

  constructor(private readonly maxSize: number) {
    super();
  }

  /** Available once the stream has finished. */
  get inspected(): InspectedModule {
    if (this.result === null) throw new Error('the module has not been read to the end');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (Math.floor((this.size + chunk.length) / YOUNG_GARBAGE_INTERVAL_BYTES) > Math.floor(this.size / YOUNG_GARBAGE_INTERVAL_BYTES)) {
      collectYoungGarbage();
    }
    this.size += chunk.length;
    if (this.size > this.maxSize) {
      callback(moduleTooLarge(this.maxSize));
      return;
    }
    if (this.kind === null) {
      this.header = Buffer.concat([this.header, chunk.subarray(0, WASM_HEADER_LENGTH - this.header.length)]);
      if (this.header.length === WASM_HEADER_LENGTH) {
        const check = checkWasmHeader(this.header);
        if (!check.ok) {
          callback(invalidModule(check.reason));
          return;
        }
        this.kind = check.kind;
      }
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.kind === null) {
      const check = checkWasmHeader(this.header);
      callback(invalidModule(check.ok ? 'the module ended inside its header' : check.reason));
      return;
    }
    this.result = { digestHex: this.hash.digest('hex'), size: this.size, kind: this.kind };
    callback();
  }
}

function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${mib.toFixed(2)} MiB`;
}
