import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { invalidInput, RegistryError, describeForbiddenCharacter, forbiddenCharacter } from '../../domain/index.js';

/**
 * The parts of a multipart/form-data body (publish with a lockfile, verify
 * with a module). A body that is not well-formed multipart — no boundary, cut
 * short, a malformed part header — is the client's mistake: a 400 naming the
 * body, never a 500. Part names and file names follow the text rule, so
 * handlers may echo and store them.
 */
export async function* multipartParts(request: FastifyRequest): AsyncGenerator<Multipart> {
  if (!/;\s*boundary=/i.test(request.headers['content-type'] ?? '')) {
    throw malformed('has no boundary: send Content-Type: multipart/form-data; boundary=<the delimiter of the parts>');
  }
  let parts: AsyncIterator<Multipart>;
  try {
    parts = request.parts()[Symbol.asyncIterator]();
  } catch (error) {
    throw asMultipartError(error, true);
  }
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await parts.next();
    } catch (error) {
      throw asMultipartError(error, true);
    }
    if (next.done) return;
    const part = next.value;
    for (const [what, text] of [['a part name', part.fieldname], ['a file name', part.type === 'file' ? part.filename : '']] as const) {
      const bad = forbiddenCharacter(text);
      if (bad !== null) {
        if (part.type === 'file') part.file.resume();
        throw invalidInput([{ field: 'body', message: `${what} ${describeForbiddenCharacter(bad)}` }]);
      }
    }
    yield part;
  }
}

/**
 * For errors thrown while a handler reads a part's stream: busboy's "Part
 * terminated early" (a body cut short mid-part) becomes the 400 it is; any
 * other error is returned unchanged.
 */
export function asMultipartError(error: unknown, fromParser = false): unknown {
  if (error instanceof RegistryError || !(error instanceof Error)) return error;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  // The parser's own limit errors carry a status (413 and so on); stream errors from the socket carry a code.
  if (statusCode !== undefined || code !== undefined) return error;
  if (fromParser || error.message.includes('terminated early')) return malformed(`is not well-formed multipart/form-data: ${error.message}`);
  return error;
}

function malformed(message: string): RegistryError {
  return invalidInput([{ field: 'body', message }]);
}
