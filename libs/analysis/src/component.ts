import type { ComponentInfo } from './report.js';

export interface ComponentDescription {
  /** Null when the component could not be decoded. */
  info: ComponentInfo | null;
  /**
   * Why the component is invalid, and where when known; null when it is valid.
   * Set with `info` null when wasm-tools could not decode it, and with `info`
   * set when it decoded but a core module inside fails validation.
   */
  error: { message: string; offset: number | null } | null;
}

type WasmTools = Pick<typeof import('@bytecodealliance/jco-transpile/wasm-tools'), 'componentWit' | 'metadataShow'>;

// The project's `lib` has no WebAssembly declarations; this is the part used here.
const V8Wasm = (globalThis as unknown as {
  WebAssembly: { validate(bytes: Uint8Array): boolean; Module: new (bytes: Uint8Array) => object };
}).WebAssembly;

// wasm-tools as jco ships it (@bytecodealliance/jco-transpile, without jco's
// compilers); about 2.4 MB of Wasm compiled on first use: load it once, on demand.
let wasmTools: Promise<WasmTools> | null = null;

function loadWasmTools(): Promise<WasmTools> {
  wasmTools ??= import('@bytecodealliance/jco-transpile/wasm-tools').then(
    ({ componentWit, metadataShow }) => ({ componentWit, metadataShow }),
    (error: unknown) => {
      wasmTools = null; // let a later call retry
      throw error;
    },
  );
  return wasmTools;
}

/**
 * Decodes a Component Model component with wasm-tools (from
 * @bytecodealliance/jco-transpile) and reports its WIT world. Never instantiates it:
 * the core modules inside are only validated by V8. Rejects (rather than
 * reporting the component invalid) when wasm-tools cannot be loaded or crashes.
 * Cost: the first call in a thread loads jco, about 65-95 ms; later calls on
 * a small component take about 0.2-1.5 ms.
 */
export async function describeComponent(bytes: Uint8Array): Promise<ComponentDescription> {
  // wasm-tools prints an empty world for a core module instead of failing.
  if (isCoreModuleHeader(bytes)) {
    return failed('not a component: the header declares a core module (layer 0)', 6);
  }
  const tools = await loadWasmTools();
  let wit: string;
  try {
    wit = await tools.componentWit(bytes);
  } catch (error) {
    return failed(...wasmToolsError(error));
  }
  const { imports, exports } = worldItems(wit);
  const info: ComponentInfo = { wit, imports, exports };
  // Decoding the WIT does not validate function bodies: check each core module.
  let modules;
  try {
    modules = await tools.metadataShow(bytes);
  } catch (error) {
    return { info, error: toError(...wasmToolsError(error)) };
  }
  for (const module of modules) {
    if (module.metaType.tag !== 'module') continue;
    const [start, end] = module.range;
    const error = coreModuleError(bytes.subarray(start, end), start, module.name);
    if (error) return { info, error };
  }
  return { info, error: null };
}

function isCoreModuleHeader(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d &&
    bytes[6] === 0 && bytes[7] === 0
  );
}

function failed(message: string, offset: number | null): ComponentDescription {
  return { info: null, error: toError(message, offset) };
}

function toError(message: string, offset: number | null): ComponentDescription['error'] {
  return { message, offset };
}

/**
 * wasm-tools reports a bad input as a ComponentError (it has `payload`): an
 * anyhow chain, one cause a line, ending "(at offset 0x1f)". Anything else
 * (a trap in wasm-tools itself) is not the component's fault: rethrown.
 */
function wasmToolsError(error: unknown): [string, number | null] {
  if (!(error instanceof Error && 'payload' in error)) throw error;
  const text = error.message;
  const message = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(': ');
  const match = /\(at offset 0x([0-9a-f]+)\)/i.exec(text);
  return [message || 'wasm-tools failed without a message', match ? parseInt(match[1]!, 16) : null];
}

function coreModuleError(module: Uint8Array, start: number, name: string | undefined): ComponentDescription['error'] {
  if (V8Wasm.validate(module)) return null;
  const label = `core module ${name ? `"${name}" ` : ''}at offset ${start}`;
  try {
    new V8Wasm.Module(module); // compiles only, to get V8's reason
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^WebAssembly\.Module\(\): /, '');
    const at = /@\+(\d+)\s*$/.exec(reason);
    return toError(`${label} is invalid: ${reason}`, at ? start + Number(at[1]) : start);
  }
  return toError(`${label} is invalid`, start);
}

/**
 * The import and export names of the first world in the WIT text wasm-tools
 * prints: interface paths (`wasi:cli/environment@0.2.0`) or the names of
 * inline interfaces and functions (`run` for `export run: func();`).
 */
export function worldItems(wit: string): { imports: string[]; exports: string[] } {
  const text = stripComments(wit);
  const imports: string[] = [];
  const exports: string[] = [];
  const body = firstWorldBody(text);
  if (body === null) return { imports, exports };
  for (const statement of statements(body)) {
    const match = /^(?:@\w+\([^)]*\)\s*)*(import|export)\s+([\s\S]*)$/.exec(statement);
    if (!match) continue; // use, type definitions, include
    const rest = match[2]!;
    const named = /^%?([a-z0-9-]+)\s*:(?!\S*\/)/i.exec(rest);
    const name = named ? named[1]! : rest.replace(/;$/, '').trim();
    (match[1] === 'import' ? imports : exports).push(name);
  }
  return { imports, exports };
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** The text between the braces of the first `world` at the top level (not inside a nested package). */
function firstWorldBody(text: string): string | null {
  let depth = 0;
  const world = /world\s+%?[a-z0-9-]+\s*\{/iy;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (depth === 0 && c === 'w' && (i === 0 || /\s|;|\}/.test(text[i - 1]!))) {
      world.lastIndex = i;
      if (world.exec(text)) {
        const open = world.lastIndex; // just past '{'
        let inner = 1;
        for (let j = open; j < text.length; j++) {
          if (text[j] === '{') inner++;
          else if (text[j] === '}' && --inner === 0) return text.slice(open, j);
        }
        return null;
      }
    }
  }
  return null;
}

/** Splits a world body into items: each ends at a top-level `;` or at the `}` closing an inline block. */
function statements(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth === 0) {
        out.push(body.slice(start, i + 1).trim());
        start = i + 1;
      }
    } else if (c === ';' && depth === 0) {
      out.push(body.slice(start, i + 1).trim());
      start = i + 1;
    }
  }
  const tail = body.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}
