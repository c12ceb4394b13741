import { UnsafeStorageKeyError, type ByteRange } from './storage.driver.js';

/** S3's limit; far below PATH_MAX, so the filesystem driver fits too. */
export const MAX_KEY_LENGTH = 1024;
/** NAME_MAX on common filesystems. */
const MAX_SEGMENT_LENGTH = 255;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const DIGEST_HEX = /^[0-9a-f]{64}$/;

/**
 * Refuses any key that is not a relative, '/'-separated path of plain segments
 * ([A-Za-z0-9._-], never '.' or '..'). Every driver calls this before touching
 * storage, so a key can neither escape the root nor mean different things to
 * different stores.
 */
export function assertSafeKey(key: string): void {
  const reason = keyProblem(key);
  if (reason !== null) throw new UnsafeStorageKeyError(String(key), reason);
}

/**
 * Like assertSafeKey for a list prefix: '' (everything) and a trailing '/' are
 * allowed, and the last segment may be partial.
 */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  const reason = keyProblem(typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (reason !== null) throw new UnsafeStorageKeyError(String(prefix), reason);
}

function keyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return 'not a string';
  if (key === '') return 'empty';
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  if (key.includes('\0')) return 'contains NUL';
  if (key.includes('\\')) return 'contains a backslash';
  if (key.startsWith('/')) return 'absolute';
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty segment';
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
    if (segment.length > MAX_SEGMENT_LENGTH) return `segment longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) return 'characters outside [A-Za-z0-9._-]';
  }
  return null;
}

/** Where the blob with this SHA-256 (64 lowercase hex digits) lives. */
export function blobKey(digestHex: string): string {
  if (typeof digestHex !== 'string' || !DIGEST_HEX.test(digestHex)) {
    throw new UnsafeStorageKeyError(`blobs/sha256/${String(digestHex)}`, 'digest must be 64 lowercase hex digits');
  }
  return `blobs/sha256/${digestHex}`;
}

/** A temporary object for an upload whose digest is not known yet. */
export function uploadKey(id: string): string {
  const key = `uploads/${String(id)}`;
  if (typeof id !== 'string' || id.includes('/')) throw new UnsafeStorageKeyError(key, 'upload id must be one segment');
  assertSafeKey(key);
  return key;
}

/**
 * Checks an inclusive byte range before any I/O. Whether it fits the object is
 * up to the driver: an end past the last byte is clamped, a start at or past
 * the size is a RangeError.
 */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

/** One chunk of an OCI blob upload session, in order (a session may be continued by any API process). */
export function ociUploadChunkKey(sessionId: string, chunk: number): string {
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new UnsafeStorageKeyError(`oci-uploads/${String(sessionId)}`, 'chunk numbers start at 1');
  const key = `${ociUploadPrefix(sessionId)}${String(chunk).padStart(6, '0')}`;
  assertSafeKey(key);
  return key;
}

/** Every chunk of an OCI blob upload session: the list prefix. */
export function ociUploadPrefix(sessionId: string): string {
  if (typeof sessionId !== 'string' || sessionId.includes('/')) throw new UnsafeStorageKeyError(`oci-uploads/${String(sessionId)}`, 'session id must be one segment');
  assertSafePrefix(`oci-uploads/${sessionId}/`);
  return `oci-uploads/${sessionId}/`;
}
