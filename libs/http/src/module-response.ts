import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { ModuleSource } from '../../blobs/index.js';
import { StorageNotFoundError, type ByteRange } from '../../storage/index.js';
import { RegistryError } from '../../domain/index.js';
import { parseRange } from './byte-range.js';
import { instruments } from '../../telemetry/index.js';

/** A module to answer with: where its bytes come from (ModuleDelivery decides redirect or stream), and the rules around it. */
export interface ServedModule extends ModuleSource {
  digest: string;
  size: number;
  cacheControl: string;
  /** Default application/wasm; OCI blob pulls say application/octet-stream. */
  contentType?: string;
  /**
   * Awaited before anything of the module goes out (bytes, a range, a 304 or a
   * redirect): records durably that it was downloaded. Rejects (404) when it was
   * deleted meanwhile.
   */
  markDownloaded(): Promise<void>;
  /** Storage has no object for the module: forgets what was cached and returns the error to answer (404). */
  missing(): Error;
  /** Called once per GET that delivers (or redirects to) the whole module. */
  onDownload(): void;
  /** Which kind of URL served it: the `registry.download.route` of the downloads metric. */
  route: 'digest' | 'version' | 'oci';
}

/**
 * Serves module bytes with the HTTP caching rules a content-addressed object
 * deserves: the digest is a strong ETag, conditional requests get 304, single
 * byte ranges get 206. Headers are set only once the answer is known, so that a
 * 404 never carries the module's `immutable` caching.
 */
export async function sendModule(request: FastifyRequest, reply: FastifyReply, module: ServedModule): Promise<void> {
  const downloaded = (): void => {
    module.onDownload();
    instruments().downloads.add(module.route);
  };
  const etag = `"${module.digest}"`;
  const moduleHeaders = (): FastifyReply =>
    reply
      .header('etag', etag)
      .header('cache-control', module.cacheControl)
      .header('accept-ranges', 'bytes')
      // RFC 9530: lets a client check the bytes it received, also after a redirect or a resumed download.
      .header('repr-digest', `sha-256=:${Buffer.from(module.digest.slice('sha256:'.length), 'hex').toString('base64')}:`);

  if (matchesEtag(request.headers['if-none-match'], etag)) {
    // The client holds these bytes under this URL: as good as a download for pinning (a HEAD still marks nothing).
    if (request.method !== 'HEAD') await module.markDownloaded();
    void moduleHeaders().status(304).send();
    return;
  }

  const isHead = request.method === 'HEAD';
  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, module.size) : { kind: 'none' as const };

  if (!isHead) {
    const redirect = await module.redirectUrl();
    if (redirect !== null) {
      await module.markDownloaded();
      if (range.kind === 'none') downloaded();
      void moduleHeaders().header('location', redirect).status(307).send();
      return;
    }
  }

  if (range.kind === 'unsatisfiable') {
    void moduleHeaders().header('content-range', `bytes */${module.size}`);
    throw new RegistryError(416, 'range_not_satisfiable', 'Range not satisfiable', `the module is ${module.size} bytes long; the requested range ${request.headers.range} lies outside it`, { size: module.size });
  }
  if (isHead) {
    if (!(await module.stored())) throw module.missing();
    void moduleHeaders().header('content-type', module.contentType ?? 'application/wasm');
    if (range.kind === 'satisfiable') {
      const { start, end } = range.range;
      return void reply.status(206).header('content-range', `bytes ${start}-${end}/${module.size}`).header('content-length', end - start + 1).send();
    }
    return void reply.status(200).header('content-length', module.size).send();
  }

  const bytes = await bytesOrMissing(module);
  if (bytes !== null) {
    await module.markDownloaded();
    void moduleHeaders().header('content-type', module.contentType ?? 'application/wasm');
    if (range.kind === 'satisfiable') {
      const { start, end } = range.range;
      return void reply.status(206).header('content-range', `bytes ${start}-${end}/${module.size}`).send(bytes.subarray(start, end + 1));
    }
    // Counted once the whole buffer was handed to the socket ('finish'), not when the request arrived.
    reply.raw.once('finish', downloaded);
    return void reply.status(200).send(bytes);
  }

  const { body } = await openOrMissing(module, range.kind === 'satisfiable' ? range.range : undefined);
  try {
    await module.markDownloaded();
  } catch (error) {
    body.destroy();
    throw error;
  }
  void moduleHeaders().header('content-type', module.contentType ?? 'application/wasm');
  if (range.kind === 'satisfiable') {
    const { start, end } = range.range;
    void reply.status(206).header('content-range', `bytes ${start}-${end}/${module.size}`).header('content-length', end - start + 1);
    return void reply.send(body);
  }
  void reply.status(200).header('content-length', module.size);
  // Counted once every byte has been handed to the response, not when the request arrived. A client
  // that resets the connection right after the last byte gets no 'finish', only 'close': the bytes
  // that went out tell a complete download from one cut short.
  let sent = 0;
  body.on('data', (chunk: Buffer) => (sent += chunk.length));
  let counted = false;
  const count = () => {
    if (!counted && (reply.raw.writableFinished || sent === module.size)) {
      counted = true;
      downloaded();
    }
  };
  reply.raw.once('finish', count).once('close', count);
  return void reply.send(body);
}

async function bytesOrMissing(module: ServedModule): Promise<Buffer | null> {
  try {
    return await module.bytes(module.size);
  } catch (error) {
    if (error instanceof StorageNotFoundError) throw module.missing();
    throw error;
  }
}

async function openOrMissing(module: ServedModule, range: ByteRange | undefined): Promise<{ body: Readable }> {
  try {
    return await module.open(range);
  } catch (error) {
    if (error instanceof StorageNotFoundError) throw module.missing();
    throw error;
  }
}

/** If-None-Match: a list of entity tags, weak or strong, or `*`. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
