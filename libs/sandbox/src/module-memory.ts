import type { WasmMemory } from './wasm-api.js';

/**
 * The module's linear memory as host functions see it: every pointer and length the module passes is checked
 * against the memory's current size (as proxy-wasm-cpp-host's getMemory/setWord do), and a bad one becomes a
 * MemoryFault that the host function turns into WasmResult InvalidMemoryAccess, never a JS error in the trial.
 */

export class MemoryFault extends Error {
  constructor(what: string) {
    super(`invalid memory access: ${what}`);
  }
}

const decoder = new TextDecoder();

export class ModuleMemory {
  private memory: WasmMemory | null = null;
  private allocator: ((size: number) => unknown) | null = null;
  private buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private bytes: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  bind(memory: WasmMemory | null, allocator: ((size: number) => unknown) | null): void {
    this.memory = memory;
    this.allocator = allocator;
  }

  get size(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  /** A view of [ptr, ptr+len); valid until the module runs again (memory may grow). */
  slice(ptr: number, len: number): Uint8Array<ArrayBufferLike> {
    const at = ptr >>> 0;
    const length = len >>> 0;
    this.refresh();
    if (at + length > this.bytes.length) throw new MemoryFault(`${length} bytes at ${at}`);
    return this.bytes.subarray(at, at + length);
  }

  copy(ptr: number, len: number): Uint8Array {
    return this.slice(ptr, len).slice();
  }

  text(ptr: number, len: number): string {
    return decoder.decode(this.slice(ptr, len));
  }

  getU32(ptr: number): number {
    this.check(ptr, 4);
    return this.view.getUint32(ptr >>> 0, true);
  }

  setU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.view.setUint32(ptr >>> 0, value >>> 0, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.view.setBigUint64(ptr >>> 0, BigInt.asUintN(64, value), true);
  }

  write(ptr: number, data: Uint8Array): void {
    this.slice(ptr, data.length).set(data);
  }

  /**
   * Copies `data` into memory the module allocates (WasmBase::allocMemory: malloc, else proxy_on_memory_allocate)
   * and writes its pointer and size to the module's return pointers (copyToPointerSize). Nothing is allocated for
   * empty data: the pointer written is 0. A trap in the allocator propagates: it is the module's.
   */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): void {
    let at = 0;
    if (data.length > 0) {
      at = this.allocate(data.length);
      this.write(at, data);
    }
    this.setU32(ptrPtr, at);
    this.setU32(sizePtr, data.length);
  }

  allocate(size: number): number {
    if (!this.allocator) throw new MemoryFault('the module has no allocator');
    const result = this.allocator(size);
    const at = typeof result === 'bigint' ? Number(BigInt.asUintN(32, result)) : Number(result) >>> 0;
    if (at === 0) throw new MemoryFault(`the allocator returned 0 for ${size} bytes`);
    this.check(at, size);
    return at;
  }

  private check(ptr: number, len: number): void {
    this.refresh();
    if ((ptr >>> 0) + len > this.bytes.length) throw new MemoryFault(`${len} bytes at ${ptr >>> 0}`);
  }

  private refresh(): void {
    const buffer = this.memory?.buffer ?? null;
    if (buffer === this.buffer && (buffer === null || buffer.byteLength === this.bytes.length)) return;
    this.buffer = buffer;
    this.bytes = buffer ? new Uint8Array(buffer) : new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }
}
