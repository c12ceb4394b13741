import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, assertSafePrefix, assertValidRange } from './storage-keys.js';
import {
  StorageNotFoundError,
  UnsafeStorageKeyError,
  type ByteRange,
  type PutOptions,
  type StorageDriver,
  type StoredObjectInfo,
  type StoredObjectStream,
} from './storage.driver.js';

/**
 * Where puts write before their rename. Inside the root so the rename stays on
 * one filesystem (atomic); '~' is not allowed in keys, so no key can reach it
 * and list() skips it.
 */
export const FILESYSTEM_TEMP_DIR = '.tmp~';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

export interface FilesystemStorageOptions {
  root: string;
}

/** Stores each object as a file named by its key under one root directory. */
export class FilesystemStorageDriver implements StorageDriver {
  readonly kind = 'filesystem' as const;
  readonly root: string;
  private readonly tempDir: string;

  constructor(options: FilesystemStorageOptions) {
    this.root = resolve(options.root);
    this.tempDir = join(this.root, FILESYSTEM_TEMP_DIR);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<void> {
    const { signal } = options;
    let tempPath: string | null = null;
    try {
      const target = this.pathOf(key);
      signal?.throwIfAborted();
      await mkdir(this.tempDir, { recursive: true });
      tempPath = join(this.tempDir, randomUUID());
      // flush: fsync before close, so the rename never publishes unwritten bytes.
      await pipeline(body, createWriteStream(tempPath, { flags: 'wx', mode: 0o644, flush: true }), { signal });
      signal?.throwIfAborted();
      await mkdir(dirname(target), { recursive: true });
      await rename(tempPath, target);
      tempPath = null;
      await fsyncDir(dirname(target));
    } catch (error) {
      if (!body.destroyed) body.destroy();
      if (tempPath !== null) await rm(tempPath, { force: true });
      // Callers see their own abort reason, as with fetch(), whichever step noticed it.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObjectStream> {
    const path = this.pathOf(key);
    if (range) assertValidRange(range);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw new StorageNotFoundError(key);
      throw error;
    }
    try {
      // Stat the open handle, not the path: the size then matches what is read.
      const info = await handle.stat();
      if (!info.isFile()) throw new StorageNotFoundError(key);
      const size = info.size;
      if (!range) return { body: handle.createReadStream(), size };
      if (range.start >= size) throw new RangeError(`range ${range.start}-${range.end} starts past the end of ${size} bytes`);
      const served = { start: range.start, end: Math.min(range.end, size - 1) };
      return { body: handle.createReadStream({ start: served.start, end: served.end }), size, range: served };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // Empty parent directories stay: removing them would race a concurrent put's mkdir.
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.pathOf(from);
    const target = this.pathOf(to);
    if (source === target) {
      if ((await this.head(from)) === null) throw new StorageNotFoundError(from);
      return;
    }
    if ((await this.head(from)) === null) throw new StorageNotFoundError(from);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(source, target);
    } catch (error) {
      if (isMissing(error) && (await this.head(from)) === null) throw new StorageNotFoundError(from);
      throw error;
    }
    await fsyncDir(dirname(target));
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    assertSafePrefix(prefix);
    // Walk the deepest directory that can hold matches, then filter by the full prefix.
    const dirKey = prefix.endsWith('/') || prefix === '' ? prefix.replace(/\/$/, '') : prefix.split('/').slice(0, -1).join('/');
    const start = dirKey === '' ? this.root : this.pathOf(dirKey);
    yield* this.walk(start, dirKey, prefix);
  }

  private async *walk(dir: string, dirKey: string, prefix: string): AsyncGenerator<StoredObjectInfo> {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for await (const entry of entries) {
      // Skips the temp dir and anything else no key could name.
      if (!SEGMENT.test(entry.name)) continue;
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(join(dir, entry.name), key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const info = await stat(join(dir, entry.name));
          yield { key, size: info.size, lastModified: info.mtime };
        } catch (error) {
          if (!isMissing(error)) throw error; // deleted while listing
        }
      }
    }
  }

  async signedUrl(key: string, _expiresInSeconds: number): Promise<string | null> {
    this.pathOf(key);
    return null;
  }

  async sweepPartialWrites(olderThanMs: number): Promise<number> {
    let removed = 0;
    let entries;
    try {
      entries = await opendir(this.tempDir);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    const now = Date.now();
    for await (const entry of entries) {
      const path = join(this.tempDir, entry.name);
      try {
        if (now - (await stat(path)).mtimeMs > olderThanMs) {
          await rm(path, { force: true });
          removed += 1;
        }
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return removed;
  }

  /** Creates the root on first use, then checks that it is a writable directory. */
  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const info = await stat(this.root);
    if (!info.isDirectory()) throw new Error(`storage root ${this.root} is not a directory`);
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    const path = resolve(this.root, key);
    // Belt and braces: even if a key slipped past assertSafeKey, refuse anything outside the root.
    if (!path.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep)) throw new UnsafeStorageKeyError(key, 'resolves outside the storage root');
    return path;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
