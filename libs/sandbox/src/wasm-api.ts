// The project's `lib` has no WebAssembly declarations; this is the part of V8's API the sandbox uses.

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export type WasmModule = object;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

type ErrorClass = new (message?: string) => Error;

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Table: new (descriptor: { element: 'anyfunc'; initial: number; maximum?: number }) => object;
  CompileError: ErrorClass;
  LinkError: ErrorClass;
  RuntimeError: ErrorClass;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
