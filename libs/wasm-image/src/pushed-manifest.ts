import { jsonTextDepth } from '../../domain/index.js';
import { ImageRefusal, quoted } from './image-refusal.js';
import { IMAGE_MANIFEST_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from './media-types.js';

/** A manifest is read whole into memory: this bounds it (Distribution's own limit is 4 MiB too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Layers of an image, or entries of an index. */
export const MAX_MANIFEST_ENTRIES = 1000;
/** Objects and arrays nested in a manifest; real ones nest 4 deep (an index entry's platform features). */
export const MAX_MANIFEST_DEPTH = 32;

/** A reference from a manifest to a blob or another manifest, as the OCI image spec defines it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: unknown;
}

/** A pushed manifest, checked: an image (config and layers) or an index (manifests). */
export type PushedManifest =
  | {
      kind: 'image';
      mediaType: string;
      config: Descriptor;
      layers: Descriptor[];
      subject: Descriptor | null;
      artifactType: string | null;
      annotations: Record<string, string>;
    }
  | {
      kind: 'index';
      mediaType: string;
      manifests: Descriptor[];
      subject: Descriptor | null;
      artifactType: string | null;
      annotations: Record<string, string>;
    };

/** RFC 6838 type/subtype, as the OCI image spec restricts media types. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Any algorithm the OCI image spec's digest grammar allows: recognised, then refused as not sha256. */
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body of a manifest PUT: bounded (bytes, then nesting counted on the text before JSON.parse), strict
 * UTF-8 JSON, an accepted media type that the Content-Type and the JSON agree on, schemaVersion 2, and every
 * descriptor well formed (sha256 digests, safe sizes). Throws ImageRefusal naming the field.
 */
export function parsePushedManifest(bytes: Buffer, contentType: string | undefined): PushedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ImageRefusal('SIZE_INVALID', `the manifest is ${bytes.byteLength} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`);
  }
  const mediaType = acceptedContentType(contentType);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ImageRefusal('MANIFEST_INVALID', 'the manifest is not UTF-8 text (a manifest is JSON)');
  }
  if (jsonTextDepth(text) > MAX_MANIFEST_DEPTH) {
    throw new ImageRefusal('MANIFEST_INVALID', `the manifest nests objects and arrays deeper than ${MAX_MANIFEST_DEPTH} levels`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ImageRefusal('MANIFEST_INVALID', `the manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(document)) throw new ImageRefusal('MANIFEST_INVALID', 'the manifest must be a JSON object');

  if (document.schemaVersion !== 2) {
    throw new ImageRefusal('MANIFEST_INVALID', `must be 2 (got ${describe(document.schemaVersion)}); Docker schema 1 manifests are not accepted`, 'schemaVersion');
  }
  if (document.mediaType !== undefined && document.mediaType !== mediaType) {
    throw new ImageRefusal(
      'MANIFEST_INVALID',
      `is ${quoted(String(document.mediaType))} but the request's Content-Type is ${quoted(mediaType)}: they must be the same`,
      'mediaType',
    );
  }
  const subject = document.subject === undefined ? null : readDescriptor(document.subject, 'subject');
  const artifactType = document.artifactType === undefined ? null : readMediaType(document.artifactType, 'artifactType');
  const annotations = readAnnotations(document.annotations, 'annotations');

  if (IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    if (document.manifests !== undefined) {
      throw new ImageRefusal('MANIFEST_INVALID', 'belongs to an index, not to an image manifest: send an index with its own media type', 'manifests');
    }
    if (document.config === undefined) throw new ImageRefusal('MANIFEST_INVALID', 'is missing: an image manifest names its config blob', 'config');
    const config = readDescriptor(document.config, 'config');
    const layers = readDescriptors(document.layers, 'layers');
    return { kind: 'image', mediaType, config, layers, subject, artifactType, annotations };
  }
  if (document.layers !== undefined || document.config !== undefined) {
    throw new ImageRefusal('MANIFEST_INVALID', 'belongs to an image manifest, not to an index: send an image manifest with its own media type', document.layers !== undefined ? 'layers' : 'config');
  }
  const manifests = readDescriptors(document.manifests, 'manifests');
  return { kind: 'index', mediaType, manifests, subject, artifactType, annotations };
}

function acceptedContentType(contentType: string | undefined): string {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (MANIFEST_MEDIA_TYPES.includes(mediaType)) return mediaType;
  const got = mediaType === '' ? 'no Content-Type' : `Content-Type ${quoted(mediaType)}`;
  throw new ImageRefusal('UNSUPPORTED', `a manifest is sent with its media type as Content-Type, one of ${MANIFEST_MEDIA_TYPES.join(', ')} (got ${got})`);
}

function readDescriptors(value: unknown, field: string): Descriptor[] {
  if (value === undefined) throw new ImageRefusal('MANIFEST_INVALID', 'is missing: it must be an array of descriptors', field);
  if (!Array.isArray(value)) throw new ImageRefusal('MANIFEST_INVALID', 'must be an array of descriptors', field);
  if (value.length > MAX_MANIFEST_ENTRIES) {
    throw new ImageRefusal('MANIFEST_INVALID', `holds ${value.length} descriptors; at most ${MAX_MANIFEST_ENTRIES} are accepted`, field);
  }
  return value.map((item, i) => readDescriptor(item, `${field}[${i}]`));
}

function readDescriptor(value: unknown, field: string): Descriptor {
  if (!isObject(value)) throw new ImageRefusal('MANIFEST_INVALID', 'must be a descriptor (an object with mediaType, digest and size)', field);
  const descriptor: Descriptor = {
    mediaType: readMediaType(value.mediaType, `${field}.mediaType`),
    digest: readDigest(value.digest, `${field}.digest`),
    size: readSize(value.size, `${field}.size`),
  };
  if (value.annotations !== undefined) descriptor.annotations = readAnnotations(value.annotations, `${field}.annotations`);
  if (value.artifactType !== undefined) descriptor.artifactType = readMediaType(value.artifactType, `${field}.artifactType`);
  if (value.platform !== undefined) descriptor.platform = value.platform;
  return descriptor;
}

function readMediaType(value: unknown, field: string): string {
  if (typeof value !== 'string' || !MEDIA_TYPE.test(value)) {
    throw new ImageRefusal('MANIFEST_INVALID', `must be a media type such as "application/vnd.oci.image.layer.v1.tar" (got ${describe(value)})`, field);
  }
  return value;
}

function readDigest(value: unknown, field: string): string {
  if (typeof value === 'string' && SHA256_DIGEST.test(value)) return value;
  if (typeof value === 'string' && ANY_DIGEST.test(value)) {
    throw new ImageRefusal('DIGEST_INVALID', `${quoted(value)} is not a sha256 digest: this registry stores sha256 only ("sha256:" and 64 lowercase hex digits)`, field);
  }
  throw new ImageRefusal('DIGEST_INVALID', `must be "sha256:" followed by 64 lowercase hexadecimal digits (got ${describe(value)})`, field);
}

function readSize(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ImageRefusal('SIZE_INVALID', `must be the blob's length in bytes, a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (got ${describe(value)})`, field);
}

function readAnnotations(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ImageRefusal('MANIFEST_INVALID', 'must be an object of strings', field);
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw new ImageRefusal('MANIFEST_INVALID', `must be a string (got ${describe(text)})`, `${field}[${quoted(key)}]`);
  }
  // fromEntries defines each key, so a "__proto__" annotation stays an annotation.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return quoted(value);
  return quoted(JSON.stringify(value) ?? String(value));
}
