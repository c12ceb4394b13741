import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILESYSTEM_TEMP_DIR, FilesystemStorageDriver } from './filesystem.driver.js';
import { assertSafeKey } from './storage-keys.js';
import { chunked, collect, describeStorageConformance } from './storage-conformance.js';

describeStorageConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-storage-'));
  const driver = new FilesystemStorageDriver({ root });
  return {
    driver,
    cleanup: async () => {
      await driver.close();
      await rm(root, { recursive: true, force: true });
    },
    strayFiles: () => strayFiles(root),
  };
});

/** Every file under root that is not an object: temp files or anything no key names. */
async function strayFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((path) => {
      try {
        assertSafeKey(path);
        return path.split('/')[0] === FILESYSTEM_TEMP_DIR;
      } catch {
        return true;
      }
    });
}

describe('filesystem storage driver', () => {
  const roots: string[] = [];
  const newRoot = async (): Promise<string> => {
    const root = await mkdtemp(join(tmpdir(), 'fs-storage-'));
    roots.push(root);
    return root;
  };
  afterEach(async () => {
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });

  it('stores an object as the file its key names', async () => {
    const root = await newRoot();
    const driver = new FilesystemStorageDriver({ root });
    await driver.put('blobs/sha256/ab', chunked(Buffer.from('hello')));
    expect((await stat(join(root, 'blobs/sha256/ab'))).size).toBe(5);
    expect(await readdir(join(root, FILESYSTEM_TEMP_DIR))).toEqual([]);
  });

  it('check creates a missing root', async () => {
    const root = join(await newRoot(), 'not', 'yet');
    await new FilesystemStorageDriver({ root }).check();
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('check fails when the root is a file', async () => {
    const parent = await newRoot();
    const driver = new FilesystemStorageDriver({ root: parent });
    await driver.put('file', chunked(Buffer.from('x')));
    await expect(new FilesystemStorageDriver({ root: join(parent, 'file') }).check()).rejects.toThrow();
  });

  it('list of everything skips the temp directory', async () => {
    const root = await newRoot();
    const driver = new FilesystemStorageDriver({ root });
    await driver.put('a', chunked(Buffer.from('x')));
    expect((await collect(driver.list(''))).map((o) => o.key)).toEqual(['a']);
  });

  it('signedUrl is null', async () => {
    const driver = new FilesystemStorageDriver({ root: await newRoot() });
    expect(await driver.signedUrl('a', 60)).toBeNull();
  });
});
