import { describe, expect, it } from 'vitest';
import { parseWasm } from '../../analysis/index.js';
import { compileWat } from '../../../testing/wasm-fixtures.js';
import { capMemory } from './memory-cap.js';

/** A module whose `grow` export asks for `pages` more pages and returns what memory.grow answered. */
const growing = (memory: string, index: 'i32' | 'i64' = 'i32'): Promise<Buffer> =>
  // wabt's validator refuses shared memories whatever its features; V8 validates them when instantiating.
  compileWat(`(module
  ${memory}
  (func (export "grow") (param $pages ${index}) (result ${index}) (memory.grow (local.get $pages)))
  (func (export "pages") (result ${index}) (memory.size)))`, { validate: false });

async function run(bytes: Uint8Array): Promise<{ grow(pages: number): number; pages(): number }> {
  const { instance } = await WebAssembly.instantiate(bytes);
  return instance.exports as unknown as { grow(pages: number): number; pages(): number };
}

const CAP = 16;

describe('capMemory', () => {
  it('lowers a memory without a maximum to the cap: memory.grow past it fails inside the module', async () => {
    const original = await growing('(memory (export "memory") 2)');
    expect((await run(original)).grow(CAP)).toBe(2); // uncapped, it grows
    const capped = capMemory(original, CAP);
    if (!capped.ok) throw new Error(capped.message);
    expect(parseWasm(capped.module).memories[0]).toMatchObject({ initial: 2, maximum: CAP });
    const instance = await run(capped.module);
    expect(instance.grow(CAP - 2)).toBe(2);
    expect(instance.grow(1)).toBe(-1);
    expect(instance.pages()).toBe(CAP);
  });

  it('lowers a declared maximum over the cap, and keeps the rest of the module as it was', async () => {
    const original = await compileWat(`(module
  (memory (export "memory") 1 60000)
  (data (i32.const 8) "kept")
  (func (export "read") (result i32) (i32.load8_u (i32.const 8)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const capped = capMemory(original, CAP);
    if (!capped.ok) throw new Error(capped.message);
    expect(capped.module.length).toBeLessThan(original.length); // 60000 takes one LEB byte more than 16
    const { instance } = await WebAssembly.instantiate(capped.module);
    const exports = instance.exports as { read(): number; grow(pages: number): number };
    expect(exports.read()).toBe('k'.charCodeAt(0));
    expect(exports.grow(CAP)).toBe(-1);
    expect(exports.grow(CAP - 1)).toBe(1);
  });

  it('leaves a module whose maximum is already within the cap, or that has no memory, unchanged', async () => {
    const within = await growing('(memory 1 4)');
    expect(capMemory(within, CAP)).toEqual({ ok: true, module: within, maxPages: CAP });
    const none = await compileWat('(module (func (export "f")))');
    expect(capMemory(none, CAP)).toEqual({ ok: true, module: none, maxPages: CAP });
  });

  it('refuses a memory that starts over the cap, naming both sizes', async () => {
    const huge = await growing('(memory 1000)');
    expect(capMemory(huge, CAP)).toEqual({
      ok: false,
      kind: 'out_of_memory',
      message: "the module's memory starts at 1000 pages (62.5 MiB), over the sandbox's cap of 16 pages (1 MiB)",
    });
  });

  it('leaves an imported memory to the host, which creates it with the cap as its maximum', async () => {
    const imported = await compileWat('(module (import "env" "memory" (memory 1)))');
    expect(capMemory(imported, CAP)).toEqual({ ok: true, module: imported, maxPages: CAP });
  });

  it('caps a 64-bit memory in the same units', async () => {
    const capped = capMemory(await growing('(memory i64 1)', 'i64'), CAP);
    if (!capped.ok) throw new Error(capped.message);
    expect(parseWasm(capped.module).memories[0]).toMatchObject({ initial: 1, maximum: CAP, memory64: true });
  });

  it('caps a shared memory, keeping it shared; refuses one without a maximum', async () => {
    const capped = capMemory(await growing('(memory 1 60000 shared)'), CAP);
    if (!capped.ok) throw new Error(capped.message);
    expect(parseWasm(capped.module).memories[0]).toMatchObject({ initial: 1, maximum: CAP, shared: true });
    const instance = await run(capped.module);
    expect(instance.grow(CAP)).toBe(-1);
    expect(instance.grow(CAP - 1)).toBe(1);

    const invalid = await compileWat('(module (memory 1 shared))', { validate: false });
    expect(capMemory(invalid, CAP)).toMatchObject({ ok: false, kind: 'link' });
  });

  it('refuses bytes it cannot read rather than run them uncapped', () => {
    const truncated = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x10, 0x01]);
    expect(capMemory(truncated, CAP)).toMatchObject({ ok: false, kind: 'link', message: expect.stringContaining('cannot be read') });
  });
});
