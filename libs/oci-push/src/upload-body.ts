import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/** What a request body is, as far as the headers tell before it is read. */
export interface UploadBody {
  stream: Readable | null;
  /** Content-Length; null when the body is chunked (or there is none and no header said so). */
  declaredLength: number | null;
}

/** The request body as a stream, with what Content-Length said; none when there is no body. */
export function uploadBody(request: FastifyRequest): UploadBody {
  const header = request.headers['content-length'];
  const declaredLength = header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : null;
  const stream = typeof (request.body as Readable | undefined)?.pipe === 'function' ? (request.body as Readable) : null;
  const chunked = request.headers['transfer-encoding'] !== undefined;
  return { stream: declaredLength === 0 || (declaredLength === null && !chunked) ? null : stream, declaredLength: declaredLength ?? (chunked ? null : 0) };
}
