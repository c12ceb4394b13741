import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from '@sigstore/core';
import type { TrustMaterial } from '@sigstore/verify';

/**
 * The CAs, logs and timestamp authorities of a Sigstore TrustedRoot: what
 * keyless bundles are checked against. Public keys for key-only bundles are
 * added per verification.
 */
export type TrustAnchors = Omit<TrustMaterial, 'publicKey'>;

type CertAuthority = TrustAnchors['certificateAuthorities'][number];
type LogAuthority = TrustAnchors['tlogs'][number];

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

const BEGINNING_OF_TIME = new Date(0);
const END_OF_TIME = new Date(8_640_000_000_000_000);
// keyDetails values whose rawBytes are PKCS#1 rather than SPKI.
const PKCS1_KEY_DETAILS = new Set(['PKCS1_RSA_PKCS1V5', 'PKCS1_RSA_PSS']);

/** A TrustedRoot that cannot be used; the message names the file and the field. */
export class TrustedRootError extends Error {
  readonly code = 'trusted_root_invalid';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TrustedRootError';
  }
}

/**
 * Reads a TrustedRoot JSON file (the format of sigstore's trusted_root.json).
 * Only ever from disk: the registry never fetches trust material over TUF.
 */
export async function loadTrustedRoot(path: string): Promise<TrustAnchors> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TrustedRootError(`trusted root ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TrustedRootError(`trusted root ${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseTrustedRoot(parsed, `trusted root ${path}`);
}

export function parseTrustedRoot(value: unknown, source = 'trusted root'): TrustAnchors {
  const root = object(value, source);
  const mediaType = root['mediaType'];
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new TrustedRootError(`${source}: mediaType ${JSON.stringify(mediaType)} is not a Sigstore TrustedRoot media type`);
  }
  return {
    certificateAuthorities: list(root, 'certificateAuthorities', source).map((ca, i) =>
      certAuthority(ca, `${source}: certificateAuthorities[${i}]`),
    ),
    timestampAuthorities: list(root, 'timestampAuthorities', source).map((ca, i) =>
      certAuthority(ca, `${source}: timestampAuthorities[${i}]`),
    ),
    tlogs: list(root, 'tlogs', source).map((log, i) => logAuthority(log, `${source}: tlogs[${i}]`)),
    ctlogs: list(root, 'ctlogs', source).map((log, i) => logAuthority(log, `${source}: ctlogs[${i}]`)),
  };
}

function certAuthority(value: unknown, where: string): CertAuthority {
  const ca = object(value, where);
  const certificates = list(object(ca['certChain'], `${where}.certChain`), 'certificates', `${where}.certChain`);
  if (certificates.length === 0) throw new TrustedRootError(`${where}.certChain has no certificates`);
  return {
    certChain: certificates.map((cert, i) => {
      const at = `${where}.certChain.certificates[${i}]`;
      try {
        return X509Certificate.parse(base64(object(cert, at)['rawBytes'], `${at}.rawBytes`));
      } catch (error) {
        if (error instanceof TrustedRootError) throw error;
        throw new TrustedRootError(`${at} is not a DER certificate: ${(error as Error).message}`, { cause: error });
      }
    }),
    validFor: validity(ca['validFor'], `${where}.validFor`),
  };
}

function logAuthority(value: unknown, where: string): LogAuthority {
  const log = object(value, where);
  const publicKey = object(log['publicKey'], `${where}.publicKey`);
  const der = base64(publicKey['rawBytes'], `${where}.publicKey.rawBytes`);
  const type = PKCS1_KEY_DETAILS.has(String(publicKey['keyDetails'])) ? 'pkcs1' : 'spki';
  // Rekor v2 logs sign checkpoints with a key named by checkpointKeyId.
  const id = log['checkpointKeyId'] ?? log['logId'];
  const baseURL = log['baseUrl'];
  if (typeof baseURL !== 'string') throw new TrustedRootError(`${where}.baseUrl must be a string`);
  try {
    return {
      baseURL,
      logID: base64(object(id, `${where}.logId`)['keyId'], `${where}.logId.keyId`),
      publicKey: createPublicKey({ key: der, format: 'der', type }),
      validFor: validity(publicKey['validFor'], `${where}.publicKey.validFor`),
    };
  } catch (error) {
    if (error instanceof TrustedRootError) throw error;
    throw new TrustedRootError(`${where}.publicKey is not a ${type} public key: ${(error as Error).message}`, { cause: error });
  }
}

function validity(value: unknown, where: string): { start: Date; end: Date } {
  if (value === undefined) return { start: BEGINNING_OF_TIME, end: END_OF_TIME };
  const range = object(value, where);
  return { start: date(range['start'], `${where}.start`) ?? BEGINNING_OF_TIME, end: date(range['end'], `${where}.end`) ?? END_OF_TIME };
}

function date(value: unknown, where: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw new TrustedRootError(`${where} must be an RFC 3339 timestamp`);
  return parsed;
}

function base64(value: unknown, where: string): Buffer<ArrayBuffer> {
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw new TrustedRootError(`${where} must be non-empty base64`);
  }
  return Buffer.from(value, 'base64');
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TrustedRootError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function list(parent: Record<string, unknown>, field: string, where: string): unknown[] {
  const value = parent[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TrustedRootError(`${where}.${field} must be an array`);
  return value;
}
