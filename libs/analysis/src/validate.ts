/**
 * Full validation of a core module by V8, the engine Envoy embeds by default.
 * The module is compiled, never instantiated: no start function or export runs.
 */

// The project's lib settings (es2024, no DOM) carry no WebAssembly typings; these two calls are all that is used.
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => unknown;
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export interface ValidationError {
  message: string;
  /** Byte offset V8 reported ("@+123"), or null when it gave none. */
  offset: number | null;
}

/** Null when V8 accepts the module; otherwise V8's CompileError message and offset. */
export function validateModule(bytes: Uint8Array): ValidationError | null {
  if (wasm.validate(bytes)) return null;
  try {
    // validate() says only "no"; compiling gives the reason. Compiling never runs module code.
    new wasm.Module(bytes);
  } catch (error) {
    return parseCompileError(error);
  }
  // validate() and Module() disagreeing would be a V8 bug; say so rather than call it valid.
  return { message: 'V8 rejected the module but gave no reason', offset: null };
}

export function parseCompileError(error: unknown): ValidationError {
  const raw = error instanceof Error ? error.message : String(error);
  // "WebAssembly.Module(): Compiling function #0 failed: … @+37"
  const message = raw.replace(/^WebAssembly\.Module\(\):\s*/, '');
  const match = /@\+(\d+)\s*$/.exec(message);
  return { message, offset: match ? Number(match[1]) : null };
}
