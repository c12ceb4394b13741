import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { ModuleInspector } from './module-inspector.js';

const HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

async function inspect(chunks: Buffer[], maxSize: number): Promise<ModuleInspector> {
  const inspector = new ModuleInspector(maxSize);
  await pipeline(Readable.from(chunks), inspector, async function* (source) {
    for await (const _chunk of source) {
      // drain
    }
  });
  return inspector;
}

describe('ModuleInspector', () => {
  it('hashes and counts bytes split across chunks, even inside the header', async () => {
    const body = Buffer.concat([HEADER, Buffer.alloc(1000, 7)]);
    const chunks = [body.subarray(0, 3), body.subarray(3, 5), body.subarray(5, 600), body.subarray(600)];
    const inspector = await inspect(chunks, 2000);
    expect(inspector.inspected).toEqual({
      digestHex: createHash('sha256').update(body).digest('hex'),
      size: body.length,
      kind: 'module',
    });
  });

  it('fails with 413 as soon as the limit is crossed', async () => {
    const error = await inspect([HEADER, Buffer.alloc(100)], 107).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(413);
    await expect(inspect([HEADER, Buffer.alloc(99)], 107)).resolves.toBeInstanceOf(ModuleInspector);
  });

  it('fails with 400 on a body that is not WebAssembly, or ends inside the header', async () => {
    const notWasm = await inspect([Buffer.from('GIF89a and more bytes')], 1000).catch((e: unknown) => e);
    expect((notWasm as RegistryError).code).toBe('invalid_module');
    const short = await inspect([HEADER.subarray(0, 6)], 1000).catch((e: unknown) => e);
    expect((short as RegistryError).detail).toContain('6 bytes long');
  });
});
