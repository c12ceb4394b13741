import { finished, pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { ImageRefusal, quoted } from './image-refusal.js';
import type { ModulePackaging } from './wasm-image-plan.js';

export interface ExtractLimits {
  /** plugin.wasm (or a raw layer) larger than this is refused. */
  maxModuleSize: number;
  /** Bytes the layer may inflate to (the tar itself, whole): past it, a gzip bomb is stopped. */
  maxInflatedBytes: number;
}

/** Entries of a module layer; a Wasm image built FROM scratch has a handful. */
export const MAX_LAYER_ENTRIES = 10_000;
/** Where the module sits in an Istio compat or Higress image. */
const MODULE_NAME = 'plugin.wasm';
const NAMES_IN_REFUSAL = 5;

/**
 * The module bytes of a layer, streamed: a raw layer as it comes (counted against maxModuleSize), or the regular
 * file plugin.wasm at the root of a tar (maybe gzipped), piped out chunk by chunk while every other entry is read
 * and drained. The whole archive is read and checked before the stream ends: a problem found after plugin.wasm
 * (a second module, a link, a path trick, more entries than allowed, a gzip bomb) errors the stream instead, so
 * the caller must treat what it received as valid only on 'end'. Refusals are ImageRefusal; an error of `layer`
 * itself (a client that went away) comes out as it is. Destroying the returned stream destroys `layer`.
 */
export function extractModule(layer: Readable, packaging: ModulePackaging, limits: ExtractLimits): Readable {
  if (packaging === 'raw') {
    const counted = byteLimit(limits.maxModuleSize, (seen) => refusal(`the module is more than ${limits.maxModuleSize} bytes (${seen} read so far); at most ${limits.maxModuleSize} are accepted`, 'SIZE_INVALID'));
    return pipeline(layer, counted, () => {});
  }
  return extractFromTar(layer, packaging, limits);
}

function extractFromTar(layer: Readable, packaging: 'tar' | 'tar+gzip', limits: ExtractLimits): Readable {
  let failure: Error | null = null;
  let resumeModule: (() => void) | null = null;
  const module = new Readable({
    read: () => resumeModule?.(),
    destroy: (error, callback) => {
      // A consumer that stops reading (or fails) stops the whole chain, the layer included.
      fail(error ?? new Error('the module stream was destroyed before the layer was read'));
      callback(error);
    },
  });
  const fail = (error: Error): void => {
    if (failure !== null) return;
    failure = error;
    for (const stage of stages) stage.destroy(error);
    tar.destroy(error);
    module.destroy(error);
  };

  const inflated = byteLimit(limits.maxInflatedBytes, () =>
    refusal(
      packaging === 'tar+gzip'
        ? `the layer inflates past ${limits.maxInflatedBytes} bytes (a gzip bomb?); that is the limit for a module's archive`
        : `the layer holds more than ${limits.maxInflatedBytes} bytes; that is the limit for a module's archive`,
      'SIZE_INVALID',
    ),
  );
  const gunzip = packaging === 'tar+gzip' ? createGunzip() : null;
  const stages = gunzip === null ? [layer, inflated] : [layer, gunzip, inflated];
  // Errors are classified where they start: the layer's own pass through, the others become refusals.
  layer.on('error', (error) => fail(error));
  finished(layer, (error) => {
    if (error !== undefined && error !== null) fail(error);
  });
  gunzip?.on('error', (error) => fail(failure ?? refusal(`the layer is not gzip data (its media type says tar+gzip): ${error.message}`)));
  inflated.on('error', (error) => fail(error));

  const tar = tarExtract();
  const names: string[] = [];
  const wasmFiles: string[] = [];
  let entries = 0;
  let foundModule = false;

  tar.on('entry', (header, entry, next) => {
    const problem = entryProblem(header, ++entries, wasmFiles, limits);
    if (problem !== null) {
      entry.resume();
      fail(problem);
      return;
    }
    if (names.length < NAMES_IN_REFUSAL) names.push(header.name);
    if (header.type === 'file' || header.type === 'contiguous-file') {
      if (isModule(header.name)) {
        foundModule = true;
        entry.on('data', (chunk) => {
          if (!module.push(chunk as Buffer)) entry.pause();
        });
        resumeModule = () => entry.resume();
        entry.on('end', () => {
          resumeModule = null;
          next();
        });
        return;
      }
    }
    entry.on('end', () => next());
    entry.resume();
  });
  tar.on('error', (error: Error) => fail(failure ?? refusal(`the layer is not a tar archive${gunzip === null ? ' (if it is gzipped, its media type must say tar+gzip)' : ''}: ${error.message}`)));
  tar.on('finish', () => {
    if (failure !== null) return;
    if (!foundModule) {
      const found = wasmFiles.length > 0 ? `it holds ${wasmFiles.map((name) => quoted(name)).join(', ')}` : `its first entries are ${names.length === 0 ? 'none (the archive is empty)' : names.map((name) => quoted(name)).join(', ')}`;
      fail(refusal(`the layer holds no ${MODULE_NAME} at its root (${MODULE_NAME} or ./${MODULE_NAME}): ${found}`));
      return;
    }
    module.push(null);
  });

  // tar-stream's extractor is a streamx Writable: fed by hand, with backpressure, rather than through pipeline().
  const last = stages[stages.length - 1]!;
  for (let i = 1; i < stages.length; i++) stages[i - 1]!.pipe(stages[i]! as Transform);
  last.on('data', (chunk: Buffer) => {
    if (!tar.write(chunk)) last.pause();
  });
  tar.on('drain', () => last.resume());
  last.on('end', () => tar.end(undefined));
  return module;
}

/** Why this entry makes the archive unacceptable, or null. `wasmFiles` collects regular *.wasm files as they pass. */
function entryProblem(header: Header, entries: number, wasmFiles: string[], limits: ExtractLimits): ImageRefusal | null {
  if (entries > MAX_LAYER_ENTRIES) return refusal(`the layer holds more than ${MAX_LAYER_ENTRIES} entries; a Wasm image holds a few files`);
  const name = header.name;
  if (name.startsWith('/') || name.split(/[\\/]/).includes('..')) {
    return refusal(`the layer plays path tricks: entry ${quoted(name)} is absolute or climbs out with ".."; entries are relative paths inside the archive`);
  }
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      break;
    case 'directory':
      return null;
    case 'symlink':
    case 'link':
      return refusal(`the layer holds a link: ${quoted(name)} → ${quoted(header.linkname ?? '')}; only regular files and directories are accepted`);
    default:
      return refusal(`the layer holds ${quoted(name)}, a ${String(header.type ?? 'special')} entry; only regular files and directories are accepted`);
  }
  if (/\.wasm$/i.test(name)) {
    wasmFiles.push(name);
    if (wasmFiles.length > 1) return refusal(`several candidate modules: ${wasmFiles.map((file) => quoted(file)).join(', ')}; the layer must hold one .wasm file, ${MODULE_NAME}`);
  }
  if (isModule(name) && (header.size ?? 0) > limits.maxModuleSize) {
    return refusal(`${MODULE_NAME} is ${header.size} bytes; at most ${limits.maxModuleSize} are accepted`, 'SIZE_INVALID');
  }
  return null;
}

const isModule = (name: string): boolean => name.replace(/^(\.\/)+/, '') === MODULE_NAME;

const refusal = (detail: string, code: 'MANIFEST_INVALID' | 'SIZE_INVALID' = 'MANIFEST_INVALID'): ImageRefusal => new ImageRefusal(code, detail);

/** Passes bytes through until more than `limit` have come, then errors with `tooMany(bytesSeen)`. */
function byteLimit(limit: number, tooMany: (seen: number) => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.byteLength;
      if (seen > limit) callback(tooMany(seen));
      else callback(null, chunk);
    },
  });
}
