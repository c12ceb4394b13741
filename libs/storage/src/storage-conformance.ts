import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StorageNotFoundError, UnsafeStorageKeyError, type StorageDriver, type StoredObjectInfo } from './storage.driver.js';

/** What a driver's test file hands to the shared suite. */
export interface StorageConformanceSubject {
  driver: StorageDriver;
  /** Closes the driver and removes whatever setup created. */
  cleanup: () => Promise<void>;
  /**
   * Files the backing store holds that are not objects (temp files, partial
   * writes), when the test can see them; must be empty after a failed put.
   */
  strayFiles?: () => Promise<string[]>;
}

const MiB = 1024 * 1024;

/** Keys that every method of every driver must refuse. */
export const UNSAFE_KEYS: readonly string[] = [
  '../x',
  '/abs',
  'a//b',
  'a/./b',
  'a\\b',
  'blobs/../../etc/passwd',
  'a\0b',
  '',
  'a/',
  'a b',
  'x'.repeat(2000),
];

/**
 * One suite for every StorageDriver, in the spirit of Docker Distribution's
 * driver conformance tests. Objects live under a random prefix, so the suite
 * can also run against a shared bucket.
 */
export function describeStorageConformance(name: string, setup: () => Promise<StorageConformanceSubject>): void {
  describe(`${name} storage driver conformance`, () => {
    const run = `conformance-${randomBytes(4).toString('hex')}`;
    const key = (suffix: string): string => `${run}/${suffix}`;
    let subject: StorageConformanceSubject | undefined;
    let driver: StorageDriver;

    beforeAll(async () => {
      subject = await setup();
      driver = subject.driver;
    });

    afterAll(async () => {
      if (subject === undefined) return;
      try {
        for (const object of await collect(driver.list(`${run}/`))) await driver.delete(object.key);
      } finally {
        await subject.cleanup();
      }
    });

    const expectNothingLeft = async (prefix: string): Promise<void> => {
      expect(await collect(driver.list(prefix))).toEqual([]);
      if (subject?.strayFiles) expect(await subject.strayFiles()).toEqual([]);
    };

    describe('put and get', () => {
      it('round-trips an empty body as zero bytes', async () => {
        await driver.put(key('empty'), chunked(Buffer.alloc(0)));
        const got = await driver.get(key('empty'));
        expect(got.size).toBe(0);
        expect((await readAll(got.body)).length).toBe(0);
        expect((await driver.head(key('empty')))?.size).toBe(0);
      });

      it('round-trips a small body byte for byte', async () => {
        const bytes = Buffer.from('\0asm\x01\0\0\0 hello, storage');
        await driver.put(key('small'), chunked(bytes), { contentType: 'application/wasm' });
        const got = await driver.get(key('small'));
        expect(got.size).toBe(bytes.length);
        expect(got.range).toBeUndefined();
        expect(await readAll(got.body)).toEqual(bytes);
      });

      it('round-trips a multi-MiB body of unknown length streamed in chunks', async () => {
        // Not a multiple of any part size, and large enough for several S3 parts.
        const bytes = randomBytes(12 * MiB + 123);
        await driver.put(key('large'), chunked(bytes, 64 * 1024));
        const got = await driver.get(key('large'));
        expect(got.size).toBe(bytes.length);
        const read = await readAll(got.body);
        expect(read.length).toBe(bytes.length);
        expect(sha256(read)).toBe(sha256(bytes));
      });

      it('replaces an existing object entirely', async () => {
        await driver.put(key('overwrite'), chunked(Buffer.from('a much longer first version')));
        await driver.put(key('overwrite'), chunked(Buffer.from('second')));
        expect(await readAll((await driver.get(key('overwrite'))).body)).toEqual(Buffer.from('second'));
        expect((await driver.head(key('overwrite')))?.size).toBe(6);
      });

      it('rejects get of a missing key with StorageNotFoundError naming the key', async () => {
        const error = await driver.get(key('missing')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageNotFoundError);
        expect((error as StorageNotFoundError).key).toBe(key('missing'));
      });
    });

    describe('ranges', () => {
      const bytes = Buffer.from('0123456789abcdef');
      beforeAll(async () => {
        await driver.put(key('ranges'), chunked(bytes));
      });

      it.each([
        ['the first byte', 0, 0],
        ['a middle slice', 3, 7],
        ['the last byte', 15, 15],
        ['the whole object', 0, 15],
      ])('reads %s (inclusive offsets)', async (_label, start, end) => {
        const got = await driver.get(key('ranges'), { start, end });
        expect(got.size).toBe(bytes.length);
        expect(got.range).toEqual({ start, end });
        expect((await readAll(got.body)).toString()).toBe(bytes.subarray(start, end + 1).toString());
      });

      it('clamps an end past the last byte', async () => {
        const got = await driver.get(key('ranges'), { start: 10, end: 1000 });
        expect(got.range).toEqual({ start: 10, end: 15 });
        expect((await readAll(got.body)).toString()).toBe('abcdef');
      });

      it('refuses a start past the end, and an end before the start, with RangeError', async () => {
        await expect(driver.get(key('ranges'), { start: 16, end: 20 })).rejects.toBeInstanceOf(RangeError);
        await expect(driver.get(key('ranges'), { start: 5, end: 4 })).rejects.toBeInstanceOf(RangeError);
        await expect(driver.get(key('ranges'), { start: -1, end: 4 })).rejects.toBeInstanceOf(RangeError);
      });

      it('rejects a range of a missing key with StorageNotFoundError', async () => {
        await expect(driver.get(key('missing'), { start: 0, end: 0 })).rejects.toBeInstanceOf(StorageNotFoundError);
      });
    });

    describe('head and delete', () => {
      it('head of a missing key is null', async () => {
        expect(await driver.head(key('nothing-here'))).toBeNull();
      });

      it('head reports the key, size and a recent modification time', async () => {
        const before = Date.now();
        await driver.put(key('head'), chunked(Buffer.alloc(1000, 7)));
        const info = await driver.head(key('head'));
        expect(info).toMatchObject({ key: key('head'), size: 1000 });
        expect(info?.lastModified).toBeInstanceOf(Date);
        // Some stores keep whole seconds only.
        expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 60_000);
        expect(info!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      });

      it('delete removes the object, and deleting again or deleting a missing key is fine', async () => {
        await driver.put(key('delete'), chunked(Buffer.from('x')));
        await driver.delete(key('delete'));
        expect(await driver.head(key('delete'))).toBeNull();
        await expect(driver.get(key('delete'))).rejects.toBeInstanceOf(StorageNotFoundError);
        await driver.delete(key('delete'));
        await driver.delete(key('never-existed/deeper'));
      });
    });

    describe('move', () => {
      it('makes the whole object appear at the destination and removes the source', async () => {
        const bytes = randomBytes(256 * 1024);
        await driver.put(key('move/upload'), chunked(bytes));
        await driver.move(key('move/upload'), key('move/blobs/target'));
        expect(await driver.head(key('move/upload'))).toBeNull();
        expect(sha256(await readAll((await driver.get(key('move/blobs/target'))).body))).toBe(sha256(bytes));
      });

      it('replaces an existing destination', async () => {
        await driver.put(key('move-over/target'), chunked(Buffer.from('an older and longer object')));
        await driver.put(key('move-over/source'), chunked(Buffer.from('new')));
        await driver.move(key('move-over/source'), key('move-over/target'));
        expect(await readAll((await driver.get(key('move-over/target'))).body)).toEqual(Buffer.from('new'));
        expect(await driver.head(key('move-over/source'))).toBeNull();
      });

      it('rejects a missing source with StorageNotFoundError and creates nothing', async () => {
        const error = await driver.move(key('move-missing/source'), key('move-missing/target')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageNotFoundError);
        expect((error as StorageNotFoundError).key).toBe(key('move-missing/source'));
        expect(await driver.head(key('move-missing/target'))).toBeNull();
      });

      it('moving a key onto itself keeps it', async () => {
        await driver.put(key('move-self'), chunked(Buffer.from('same')));
        await driver.move(key('move-self'), key('move-self'));
        expect(await readAll((await driver.get(key('move-self'))).body)).toEqual(Buffer.from('same'));
      });

      it('concurrent moves of identical bytes onto one key all succeed', async () => {
        const bytes = randomBytes(64 * 1024);
        const sources = Array.from({ length: 16 }, (_, i) => key(`move-race/uploads/${i}`));
        await Promise.all(sources.map((source) => driver.put(source, chunked(bytes))));
        await Promise.all(sources.map((source) => driver.move(source, key('move-race/blob'))));
        expect(sha256(await readAll((await driver.get(key('move-race/blob'))).body))).toBe(sha256(bytes));
        for (const source of sources) expect(await driver.head(source)).toBeNull();
      });
    });

    describe('list', () => {
      const inside = ['list/a', 'list/sub/b', 'list/sub/deeper/c'];
      const outside = ['listing/d', 'other/e'];
      beforeAll(async () => {
        for (const [i, suffix] of [...inside, ...outside].entries()) {
          await driver.put(key(suffix), chunked(Buffer.alloc(i + 1, i)));
        }
      });

      it('yields every object under a prefix, nested ones included, and nothing else', async () => {
        const listed = await collect(driver.list(key('list/')));
        expect(listed.map((o) => o.key).sort()).toEqual(inside.map(key).sort());
        for (const object of listed) {
          expect(object.size).toBe(inside.indexOf(object.key.slice(run.length + 1)) + 1);
          expect(object.lastModified).toBeInstanceOf(Date);
        }
      });

      it('matches a prefix without a trailing slash as a string prefix, as S3 does', async () => {
        const listed = await collect(driver.list(key('list')));
        expect(listed.map((o) => o.key).sort()).toEqual([...inside, 'listing/d'].map(key).sort());
      });

      it('yields nothing for a prefix without objects', async () => {
        expect(await collect(driver.list(key('no-such-prefix/')))).toEqual([]);
      });
    });

    describe('unsafe keys', () => {
      it.each(UNSAFE_KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k]))('every method refuses %s', async (_label, bad) => {
        const refused = async (call: () => Promise<unknown>): Promise<void> => {
          await expect(call()).rejects.toBeInstanceOf(UnsafeStorageKeyError);
        };
        const body = chunked(Buffer.from('should never be stored'));
        await refused(() => driver.put(bad, body));
        await refused(() => driver.get(bad));
        await refused(() => driver.get(bad, { start: 0, end: 0 }));
        await refused(() => driver.head(bad));
        await refused(() => driver.delete(bad));
        await refused(() => driver.move(bad, key('unsafe/target')));
        await refused(() => driver.move(key('unsafe/target'), bad));
        await refused(() => driver.signedUrl(bad, 60));
        // '' and 'a/' are fine as list prefixes.
        if (bad !== '' && bad !== 'a/') await refused(() => collect(driver.list(bad)));
        expect(await collect(driver.list(key('unsafe/')))).toEqual([]);
      });
    });

    describe('failed puts', () => {
      it('aborting a put midway rejects with the abort reason and leaves nothing behind', async () => {
        // Past one 5 MiB S3 part, so a multipart upload is under way when the abort lands.
        const source = stallingSource(7 * MiB);
        const controller = new AbortController();
        const put = driver.put(key('aborted/object'), source, { signal: controller.signal });
        put.catch(() => undefined);
        await vi.waitFor(() => expect(source.pulled).toBeGreaterThanOrEqual(7 * MiB), { timeout: 30_000, interval: 20 });
        const reason = new Error('client went away');
        controller.abort(reason);
        await expect(put).rejects.toBe(reason);
        expect(await driver.head(key('aborted/object'))).toBeNull();
        await expectNothingLeft(key('aborted/'));
      });

      it('a put whose signal is already aborted writes nothing', async () => {
        await expect(
          driver.put(key('pre-aborted/object'), chunked(Buffer.from('x')), { signal: AbortSignal.abort() }),
        ).rejects.toMatchObject({ name: 'AbortError' });
        await expectNothingLeft(key('pre-aborted/'));
      });

      it('a source stream that fails midway rejects with its error and leaves nothing behind', async () => {
        const failure = new Error('source failed');
        await expect(driver.put(key('failing/object'), failingSource(6 * MiB, failure))).rejects.toBe(failure);
        await expectNothingLeft(key('failing/'));
      });

      it('a failed put leaves the previous object in place', async () => {
        await driver.put(key('keep/object'), chunked(Buffer.from('previous')));
        await expect(driver.put(key('keep/object'), failingSource(6 * MiB, new Error('source failed')))).rejects.toThrow(
          'source failed',
        );
        expect(await readAll((await driver.get(key('keep/object'))).body)).toEqual(Buffer.from('previous'));
        if (subject?.strayFiles) expect(await subject.strayFiles()).toEqual([]);
      });
    });

    describe('direct downloads and health', () => {
      it('signedUrl is either null or a URL that downloads the exact bytes', async () => {
        const bytes = randomBytes(4096);
        await driver.put(key('signed'), chunked(bytes));
        const url = await driver.signedUrl(key('signed'), 60);
        if (url === null) return;
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
      });

      it('check resolves', async () => {
        await expect(driver.check()).resolves.toBeUndefined();
      });
    });
  });
}

/** A stream of `bytes` in chunks of `size`, so drivers cannot learn the length up front. */
export function chunked(bytes: Buffer, size = 16 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
    })(),
    { objectMode: false },
  );
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function collect(objects: AsyncIterable<StoredObjectInfo>): Promise<StoredObjectInfo[]> {
  const all: StoredObjectInfo[] = [];
  for await (const object of objects) all.push(object);
  return all;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hands out `limit` random bytes on demand, then neither ends nor fails: like a stalled client. */
function stallingSource(limit: number): Readable & { pulled: number } {
  const chunk = randomBytes(64 * 1024);
  const source = new Readable({
    read() {
      if (source.pulled >= limit) return;
      source.pulled += chunk.length;
      this.push(chunk);
    },
  }) as Readable & { pulled: number };
  source.pulled = 0;
  return source;
}

/** Hands out `limit` bytes, then fails with `error`: like a client whose connection drops. */
function failingSource(limit: number, error: Error): Readable {
  const chunk = randomBytes(64 * 1024);
  let pulled = 0;
  return new Readable({
    read() {
      if (pulled >= limit) {
        this.destroy(error);
        return;
      }
      pulled += chunk.length;
      this.push(chunk);
    },
  });
}
