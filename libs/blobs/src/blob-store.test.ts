import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { FILESYSTEM_TEMP_DIR, FilesystemStorageDriver } from '../../storage/index.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { BlobStore } from './blob-store.js';

const files = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();

describe('BlobStore on the filesystem driver', () => {
  let root: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blob-store-'));
    blobs = new BlobStore(new FilesystemStorageDriver({ root }));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('adopts bytes already under their digest without copying them, checked as receive checks them, and never deletes them', async () => {
    const module = await proxyWasmFilter('adopted');
    const stored = await blobs.receive(Readable.from([module]), 1 << 20);
    const { storageKey } = await blobs.promote(stored);
    const adopted = await blobs.adopt(stored.digest, 1 << 20);
    expect(adopted).toEqual({ uploadKey: storageKey, digest: stored.digest, size: module.length, kind: 'module' });
    expect(await blobs.promote(adopted)).toEqual({ created: false, storageKey });
    await blobs.discard(adopted);
    expect(await files(root)).toEqual([storageKey]);
    await expect(blobs.adopt(stored.digest, module.length - 1)).rejects.toMatchObject({ status: 413, code: 'module_too_large' });
    const notWasm = await blobs.promote({ ...(await blobs.receive(Readable.from([module]), 1 << 20)), digest: `sha256:${'0'.repeat(64)}` });
    await writeFile(join(root, notWasm.storageKey), 'not a module at all');
    await expect(blobs.adopt(`sha256:${'0'.repeat(64)}`, 1 << 20)).rejects.toMatchObject({ status: 400, code: 'invalid_module' });
  });

  it('receives a module into a temporary object, then promotes it to its digest key', async () => {
    const module = await proxyWasmFilter('store');
    const upload = await blobs.receive(Readable.from([module.subarray(0, 5), module.subarray(5)]), 1 << 20);
    const hex = createHash('sha256').update(module).digest('hex');
    expect(upload).toMatchObject({ digest: `sha256:${hex}`, size: module.length, kind: 'module' });
    expect(await files(root)).toEqual([upload.uploadKey]);
    expect(await blobs.promote(upload)).toEqual({ created: true, storageKey: `blobs/sha256/${hex}` });
    expect(await files(root)).toEqual([`blobs/sha256/${hex}`]);

    // The same bytes again: the stored object is kept and the new upload dropped.
    const again = await blobs.receive(Readable.from([module]), 1 << 20);
    expect((await blobs.promote(again)).created).toBe(false);
    expect(await files(root)).toEqual([`blobs/sha256/${hex}`]);
  });

  it('leaves nothing behind when the body is refused or the source fails', async () => {
    const tooLarge = await blobs.receive(Readable.from([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(100)]), 50).catch((e: unknown) => e);
    expect((tooLarge as RegistryError).status).toBe(413);
    const failing = new Readable({
      read() {
        this.push(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
        this.destroy(new Error('socket hang up'));
      },
    });
    await expect(blobs.receive(failing, 1 << 20)).rejects.toThrow('socket hang up');
    expect(await files(root)).toEqual([]);
  });

  it('sweeps uploads and partial writes older than the cut-off, and nothing else', async () => {
    const module = await proxyWasmFilter('sweep');
    const stored = await blobs.receive(Readable.from([module]), 1 << 20);
    await blobs.promote(stored);
    const fresh = await blobs.receive(Readable.from([module]), 1 << 20);
    const stale = await blobs.receive(Readable.from([module]), 1 << 20);
    await mkdir(join(root, FILESYSTEM_TEMP_DIR), { recursive: true });
    await writeFile(join(root, FILESYSTEM_TEMP_DIR, 'left-by-a-crash'), 'partial');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(root, stale.uploadKey), hourAgo, hourAgo);
    await utimes(join(root, FILESYSTEM_TEMP_DIR, 'left-by-a-crash'), hourAgo, hourAgo);

    expect(await blobs.sweepAbandonedUploads(60_000)).toBe(2);
    expect(await files(root)).toEqual([`blobs/sha256/${stored.digest.slice(7)}`, fresh.uploadKey].sort());
  });
});
