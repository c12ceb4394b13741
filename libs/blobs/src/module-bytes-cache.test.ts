import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StorageNotFoundError } from '../../storage/index.js';
import { ModuleBytesCache } from './module-bytes-cache.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Modules of `size` bytes each, distinct by their first byte; counts what storage was asked. */
function storage(...modules: Buffer[]) {
  const byDigest = new Map(modules.map((bytes) => [digestOf(bytes), bytes]));
  const reads: string[] = [];
  return {
    reads,
    read: async (digest: string, size: number): Promise<Uint8Array> => {
      reads.push(digest);
      await new Promise((resolve) => setImmediate(resolve));
      const bytes = byDigest.get(digest);
      if (bytes === undefined) throw new StorageNotFoundError(digest);
      if (bytes.length !== size) throw new Error(`size ${bytes.length}, not ${size}`);
      return new Uint8Array(bytes);
    },
  };
}

const module = (tag: number, size = 100): Buffer => Buffer.alloc(size, tag);

describe('ModuleBytesCache', () => {
  it('reads a module from storage once, however many ask, concurrently or later', async () => {
    const a = module(1);
    const store = storage(a);
    const cache = new ModuleBytesCache(1000, store.read);
    const answers = await Promise.all([cache.get(digestOf(a), 100), cache.get(digestOf(a), 100), cache.get(digestOf(a), 100)]);
    expect(await cache.get(digestOf(a), 100)).toEqual(a);
    expect(answers.every((bytes) => bytes?.equals(a))).toBe(true);
    expect(store.reads).toEqual([digestOf(a)]);
  });

  it('never holds more than its budget: the least recently used module goes first', async () => {
    const modules = [1, 2, 3, 4, 5].map((tag) => module(tag, 250));
    const [a, b, , , e] = modules;
    const store = storage(...modules);
    const cache = new ModuleBytesCache(1000, store.read);
    for (const bytes of modules.slice(0, 4)) await cache.get(digestOf(bytes), 250);
    await cache.get(digestOf(a!), 250); // a is now the most recently used; b the least
    await cache.get(digestOf(e!), 250);
    expect(cache.heldBytes).toBe(1000);
    expect(cache.peek(digestOf(b!))).toBeNull();
    expect(cache.peek(digestOf(a!))).toEqual(a);
    expect(cache.peek(digestOf(e!))).toEqual(e);
  });

  it('leaves a module larger than a quarter of the budget in storage, without reading it', async () => {
    const big = module(1, 300);
    const store = storage(big);
    const cache = new ModuleBytesCache(1000, store.read);
    expect(await cache.get(digestOf(big), 300)).toBeNull();
    expect(store.reads).toEqual([]);
    expect(cache.largestModule).toBe(250);
  });

  it('keeps nothing that does not hash to its digest, and says so', async () => {
    const a = module(1);
    const claimed = digestOf(module(2));
    const mismatches: string[] = [];
    const cache = new ModuleBytesCache(1000, async () => new Uint8Array(a), (digest) => mismatches.push(digest));
    expect(await cache.get(claimed, 100)).toBeNull();
    expect(cache.peek(claimed)).toBeNull();
    expect(cache.heldBytes).toBe(0);
    expect(mismatches).toEqual([claimed]);
  });

  it('passes storage errors on and caches nothing for them, so a later read can succeed', async () => {
    const a = module(1);
    const store = storage();
    const cache = new ModuleBytesCache(1000, store.read);
    await expect(cache.get(digestOf(a), 100)).rejects.toBeInstanceOf(StorageNotFoundError);
    expect(cache.heldBytes).toBe(0);
  });

  it('drops what it is told to forget (a deleted version), and with a budget of 0 keeps nothing', async () => {
    const a = module(1);
    const store = storage(a);
    const cache = new ModuleBytesCache(1000, store.read);
    await cache.get(digestOf(a), 100);
    cache.forget(digestOf(a));
    expect(cache.peek(digestOf(a))).toBeNull();
    const none = new ModuleBytesCache(0, store.read);
    expect(await none.get(digestOf(a), 100)).toBeNull();
    expect(store.reads).toEqual([digestOf(a)]);
  });

  it('reads a module from storage again once its time in memory is over, so that a lost object is found', async () => {
    const a = module(1);
    const store = storage(a);
    const cache = new ModuleBytesCache(1000, store.read, undefined, 20);
    await cache.get(digestOf(a), 100);
    await cache.get(digestOf(a), 100);
    expect(store.reads).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cache.peek(digestOf(a))).toBeNull();
    await cache.get(digestOf(a), 100);
    expect(store.reads).toHaveLength(2);
  });
});
