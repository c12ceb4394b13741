import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { paddedModule, proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { MAX_LAYER_ENTRIES, extractModule, type ExtractLimits } from './extract-module.js';
import { ImageRefusal } from './image-refusal.js';

type TarHeader = Parameters<ReturnType<typeof tarPack>['entry']>[0];
interface TarEntry {
  header: TarHeader;
  body?: Buffer;
}

const MiB = 1024 * 1024;
const LIMITS: ExtractLimits = { maxModuleSize: 4 * MiB, maxInflatedBytes: 16 * MiB };

/** A tar built by tar-stream, entries in order. */
async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry(header, body ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const file = (name: string, body: Buffer): TarEntry => ({ header: { name, type: 'file', size: body.byteLength }, body });
const directory = (name: string): TarEntry => ({ header: { name, type: 'directory' } });

/** `bytes` as a layer stream of `chunkSize` chunks, counting what was read from it. */
function layerOf(bytes: Buffer, chunkSize = 16 * 1024): Readable & { served: () => number } {
  let served = 0;
  const stream = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.byteLength; at += chunkSize) {
        const chunk = bytes.subarray(at, at + chunkSize);
        served += chunk.byteLength;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  return Object.assign(stream, { served: () => served });
}

/** Everything the stream gives, and how it finished: the bytes and its error (null when it ended). */
async function outcomeOf(stream: Readable): Promise<{ bytes: Buffer; error: Error | null }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), error: null };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

async function refusalOf(stream: Readable): Promise<ImageRefusal> {
  const { error } = await outcomeOf(stream);
  if (error instanceof ImageRefusal) return error;
  throw error ?? new Error('the stream ended: the layer was accepted');
}

let module: Buffer;
beforeAll(async () => {
  module = await proxyWasmFilter('wasm-image');
});

describe('extractModule', () => {
  it('streams plugin.wasm out of a tar, the other entries read and drained', async () => {
    const tar = await tarOf([directory('./'), file('./README.md', Buffer.from('# filter')), file('./plugin.wasm', module), file('./LICENSE', Buffer.from('MIT'))]);
    expect(await outcomeOf(extractModule(layerOf(tar), 'tar', LIMITS))).toEqual({ bytes: module, error: null });
  });

  it('streams plugin.wasm out of a gzipped tar (plugin.tar.gz, docker build FROM scratch)', async () => {
    const tar = await tarOf([file('plugin.wasm', module)]);
    expect(await outcomeOf(extractModule(layerOf(gzipSync(tar)), 'tar+gzip', LIMITS))).toEqual({ bytes: module, error: null });
  });

  it('passes a raw layer through, and refuses one larger than the module limit', async () => {
    expect(await outcomeOf(extractModule(layerOf(module), 'raw', LIMITS))).toEqual({ bytes: module, error: null });
    const refusal = await refusalOf(extractModule(layerOf(module), 'raw', { ...LIMITS, maxModuleSize: module.byteLength - 1 }));
    expect(refusal.ociCode).toBe('SIZE_INVALID');
    expect(refusal.detail).toContain(`${module.byteLength - 1} bytes`);
  });

  it('refuses a symlink, a hard link, a device and a fifo', async () => {
    const specials: TarEntry[] = [
      { header: { name: 'plugin.wasm', type: 'symlink', linkname: '/etc/passwd' } },
      { header: { name: 'other.txt', type: 'link', linkname: 'plugin.wasm' } },
      { header: { name: 'tty', type: 'character-device', devmajor: 5, devminor: 0 } },
      { header: { name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 } },
      { header: { name: 'pipe', type: 'fifo' } },
    ];
    for (const special of specials) {
      const tar = await tarOf([file('plugin.wasm', module), special]);
      const refusal = await refusalOf(extractModule(layerOf(tar), 'tar', LIMITS));
      expect(refusal.ociCode, special.header.type).toBe('MANIFEST_INVALID');
      expect(refusal.detail, special.header.type).toMatch(/holds a link|entry; only regular files/);
      expect(refusal.detail).toContain(special.header.name);
    }
  });

  it('refuses absolute paths and ".." segments (path tricks)', async () => {
    for (const name of ['/plugin.wasm', '../plugin.wasm', 'a/../../etc/x', 'a\\..\\x']) {
      const tar = await tarOf([file('plugin.wasm', module), file(name, Buffer.from('x'))]);
      const refusal = await refusalOf(extractModule(layerOf(tar), 'tar', LIMITS));
      expect(refusal.detail, name).toContain('path tricks');
    }
  });

  it('refuses several *.wasm files, even when the second comes after plugin.wasm was streamed', async () => {
    const padding = Array.from({ length: 50 }, (_, i) => file(`f${i}.txt`, Buffer.alloc(10_000)));
    const tar = await tarOf([file('plugin.wasm', module), ...padding, file('lib/other.wasm', module)]);
    const { bytes, error } = await outcomeOf(extractModule(layerOf(tar), 'tar', LIMITS));
    expect(bytes.byteLength).toBeGreaterThan(0); // plugin.wasm went out before the second module was seen
    expect(error).toBeInstanceOf(ImageRefusal);
    expect((error as ImageRefusal).detail).toBe('several candidate modules: "plugin.wasm", "lib/other.wasm"; the layer must hold one .wasm file, plugin.wasm');
  });

  it('refuses plugin.wasm twice in one archive', async () => {
    const tar = await tarOf([file('plugin.wasm', module), file('./plugin.wasm', module)]);
    expect((await refusalOf(extractModule(layerOf(tar), 'tar', LIMITS))).detail).toContain('several candidate modules');
  });

  it('refuses a layer without plugin.wasm at its root, naming what it holds', async () => {
    const nested = await tarOf([directory('dist/'), file('dist/plugin.wasm', module)]);
    expect((await refusalOf(extractModule(layerOf(nested), 'tar', LIMITS))).detail).toBe(
      'the layer holds no plugin.wasm at its root (plugin.wasm or ./plugin.wasm): it holds "dist/plugin.wasm"',
    );
    const other = await tarOf([file('README.md', Buffer.from('# x')), file('LICENSE', Buffer.from('MIT'))]);
    expect((await refusalOf(extractModule(layerOf(other), 'tar', LIMITS))).detail).toContain('its first entries are "README.md", "LICENSE"');
    expect((await refusalOf(extractModule(layerOf(Buffer.alloc(0)), 'tar', LIMITS))).detail).toContain('the archive is empty');
  });

  it(`refuses more than ${MAX_LAYER_ENTRIES} entries`, async () => {
    const entries = Array.from({ length: MAX_LAYER_ENTRIES }, (_, i) => directory(`d${i}/`));
    const atLimit = await tarOf([...entries.slice(1), file('plugin.wasm', module)]);
    expect((await outcomeOf(extractModule(layerOf(atLimit, 64 * 1024), 'tar', LIMITS))).error).toBeNull();
    const overLimit = await tarOf([file('plugin.wasm', module), ...entries]);
    expect((await refusalOf(extractModule(layerOf(overLimit, 64 * 1024), 'tar', LIMITS))).detail).toContain(`more than ${MAX_LAYER_ENTRIES} entries`);
  });

  it('refuses plugin.wasm larger than the module limit from its header, before streaming it', async () => {
    const tar = await tarOf([file('plugin.wasm', module)]);
    const { bytes, error } = await outcomeOf(extractModule(layerOf(tar), 'tar', { ...LIMITS, maxModuleSize: module.byteLength - 1 }));
    expect(bytes.byteLength).toBe(0);
    expect(error).toMatchObject({ ociCode: 'SIZE_INVALID', detail: `plugin.wasm is ${module.byteLength} bytes; at most ${module.byteLength - 1} are accepted` });
  });

  it('refuses a layer that is not a tar, and gzip that is not gzip', async () => {
    const garbage = Buffer.alloc(4096, 'not a tar archive, just text. ');
    expect((await refusalOf(extractModule(layerOf(garbage), 'tar', LIMITS))).detail).toMatch(/^the layer is not a tar archive/);
    const gzipped = gzipSync(await tarOf([file('plugin.wasm', module)]));
    expect((await refusalOf(extractModule(layerOf(gzipped), 'tar', LIMITS))).detail).toContain('its media type must say tar+gzip');
    const tar = await tarOf([file('plugin.wasm', module)]);
    expect((await refusalOf(extractModule(layerOf(tar), 'tar+gzip', LIMITS))).detail).toMatch(/^the layer is not gzip data/);
    const truncated = gzipped.subarray(0, gzipped.byteLength - 100);
    expect((await refusalOf(extractModule(layerOf(truncated), 'tar+gzip', LIMITS))).detail).toMatch(/^the layer is not (gzip data|a tar archive)/);
  });

  it('errors (never ends) when a problem comes after plugin.wasm: a link at the end of the archive', async () => {
    const tar = await tarOf([file('plugin.wasm', module), ...Array.from({ length: 50 }, (_, i) => file(`f${i}.txt`, Buffer.alloc(10_000))), { header: { name: 'late', type: 'symlink', linkname: 'plugin.wasm' } }]);
    const { bytes, error } = await outcomeOf(extractModule(layerOf(tar), 'tar', LIMITS));
    expect(bytes).toEqual(module);
    expect(error).toBeInstanceOf(ImageRefusal);
  });

  it('passes an error of the layer itself (a client that went away) through as it is', async () => {
    const tar = await tarOf([file('plugin.wasm', await paddedModule(256 * 1024)), file('after.txt', Buffer.alloc(1000))]);
    const goneAway = new Error('client went away');
    for (const packaging of ['tar', 'tar+gzip', 'raw'] as const) {
      const bytes = packaging === 'tar+gzip' ? gzipSync(tar) : tar;
      const layer = new Readable({ read() {} });
      layer.push(bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
      setTimeout(() => layer.destroy(goneAway), 20);
      const { error } = await outcomeOf(extractModule(layer, packaging, LIMITS));
      expect(error, packaging).toBe(goneAway);
    }
  });

  it('errors when the layer closes early without an error', async () => {
    const tar = await tarOf([file('plugin.wasm', await paddedModule(256 * 1024))]);
    const layer = new Readable({ read() {} });
    layer.push(tar.subarray(0, 100_000));
    setTimeout(() => layer.destroy(), 20);
    const { error } = await outcomeOf(extractModule(layer, 'tar', LIMITS));
    expect(error).not.toBeNull();
  });

  it('destroys the layer when the consumer destroys the module stream', async () => {
    const tar = await tarOf([file('plugin.wasm', await paddedModule(2 * MiB))]);
    const layer = layerOf(tar);
    const stream = extractModule(layer, 'tar', LIMITS);
    stream.once('data', () => stream.destroy());
    await once(stream, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(layer.destroyed).toBe(true);
    expect(layer.served()).toBeLessThan(tar.byteLength);
  });

  it('reads the layer only as fast as the module is consumed (no buffering of the module)', async () => {
    const big = await paddedModule(3 * MiB);
    const tar = await tarOf([file('plugin.wasm', big)]);
    const layer = layerOf(tar);
    const stream = extractModule(layer, 'tar', LIMITS);
    await new Promise((resolve) => setTimeout(resolve, 100)); // nobody reads yet
    expect(layer.served()).toBeLessThan(1 * MiB);
    const { bytes, error } = await outcomeOf(stream);
    expect(error).toBeNull();
    expect(bytes.equals(big)).toBe(true); // toEqual walks 3 MiB byte by byte: seconds
    expect(layer.served()).toBe(tar.byteLength);
  });
});

describe('extractModule against a gzip bomb', () => {
  const inflatedSize = 200 * MiB;
  let bomb: Buffer;

  beforeAll(async () => {
    // 200 MiB of zeros in a tar entry, gzipped as it is made: about 200 KB, never 200 MiB in memory.
    const pack = tarPack();
    const gzip = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    const gzipped = once(gzip, 'end');
    pack.pipe(gzip);
    const entry = pack.entry({ name: 'zeros', type: 'file', size: inflatedSize });
    const zeros = Buffer.alloc(MiB);
    for (let written = 0; written < inflatedSize; written += zeros.byteLength) {
      if (!entry.write(zeros)) await once(entry, 'drain');
    }
    entry.end();
    await new Promise((resolve) => entry.once('close', resolve));
    pack.entry({ name: 'plugin.wasm', type: 'file', size: module.byteLength }, module);
    pack.finalize();
    await gzipped;
    bomb = Buffer.concat(chunks);
  });

  it('stops a layer that inflates past the limit, having read a small part of it, in bounded memory', async () => {
    expect(bomb.byteLength).toBeLessThan(1 * MiB);
    const rssBefore = process.memoryUsage().rss;
    const layer = layerOf(bomb, 4 * 1024);
    const refusal = await refusalOf(extractModule(layer, 'tar+gzip', { ...LIMITS, maxInflatedBytes: 8 * MiB }));
    expect(refusal).toMatchObject({ ociCode: 'SIZE_INVALID', detail: `the layer inflates past ${8 * MiB} bytes (a gzip bomb?); that is the limit for a module's archive` });
    expect(layer.served()).toBeLessThan(bomb.byteLength / 2);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MiB);
  });

  it('reads the same archive whole when the limit allows it (the limit is what stopped it)', async () => {
    const { bytes, error } = await outcomeOf(extractModule(layerOf(bomb), 'tar+gzip', { ...LIMITS, maxInflatedBytes: inflatedSize + MiB }));
    expect(error).toBeNull();
    expect(bytes).toEqual(module);
  });
});
