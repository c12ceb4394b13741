import { RegistryError } from '../../domain/index.js';

/** Error codes of the OCI distribution spec that /v2 answers with. */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNSUPPORTED'
  | 'DENIED'
  | 'UNAUTHORIZED'
  | 'TOOMANYREQUESTS'
  | 'UNAVAILABLE'
  | 'UNKNOWN';

const TITLES: Record<OciErrorCode, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  // Docker Distribution's, which clients know: the OCI spec has no code for a refused tag.
  TAG_INVALID: 'manifest tag did not match URI',
  UNSUPPORTED: 'the operation is unsupported',
  DENIED: 'requested access to the resource is denied',
  UNAUTHORIZED: 'authentication required',
  TOOMANYREQUESTS: 'too many requests',
  // Not in the OCI spec's list, but Docker Distribution's (errcode.ErrorCodeUnavailable), which clients know.
  UNAVAILABLE: 'service unavailable',
  UNKNOWN: 'unknown error',
};

/** An error that /v2 renders as `{"errors":[{code, message, detail}]}`; elsewhere it is a problem like any other. */
export function ociError(status: number, ociCode: OciErrorCode, detail: string, extra: Record<string, unknown> = {}): RegistryError {
  return new RegistryError(status, `oci_${ociCode.toLowerCase()}`, TITLES[ociCode], detail, { ociCode, ...extra });
}

/** The OCI code for an error that was not raised as one (framework 404s, validation, 500s). */
export function ociCodeForStatus(status: number): OciErrorCode {
  switch (status) {
    case 400:
      return 'NAME_INVALID';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 404:
      return 'NAME_UNKNOWN';
    case 405:
      return 'UNSUPPORTED';
    case 414:
      // A path segment longer than any name, tag or digest.
      return 'NAME_INVALID';
    case 429:
      return 'TOOMANYREQUESTS';
    case 503:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

/** Whether a request path is part of the OCI distribution API. */
export function isOciPath(url: string): boolean {
  return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
}
