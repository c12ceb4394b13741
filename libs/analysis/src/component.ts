import type { ComponentInfo } from './report.js';

export interface ComponentDescription {
  /** Null when the component could not be decoded. */
  info: ComponentInfo | null;
  /** Why decoding failed, and where when known; null when it succeeded. */
  error: { message: string; offset: number | null } | null;
}

/**
 * Decodes a Component Model component with wasm-tools (from
 * @bytecodealliance/jco) and reports its WIT world. Never instantiates it.
 */
export async function describeComponent(_bytes: Uint8Array): Promise<ComponentDescription> {
  throw new Error('describeComponent: not implemented yet');
}
