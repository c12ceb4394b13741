/** The OCI distribution error codes a refused image maps to (libs/oci-push answers them). */
export type ImageRefusalCode = 'MANIFEST_INVALID' | 'DIGEST_INVALID' | 'SIZE_INVALID' | 'UNSUPPORTED';

/**
 * Why a pushed image is refused, for a person: `detail` says what was wrong and what is allowed, `field`
 * (a JSON path such as `layers[2].mediaType`) where in the manifest, when the problem has a place there.
 */
export class ImageRefusal extends Error {
  constructor(
    readonly ociCode: ImageRefusalCode,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(field === undefined ? detail : `${field}: ${detail}`);
    this.name = 'ImageRefusal';
  }
}

/** Untrusted text (tar entry names, media types) quoted for a message: escaped, and cut at `max` characters. */
export function quoted(text: string, max = 100): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
