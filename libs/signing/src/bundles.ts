import { sign } from 'node:crypto';
import { BUNDLE_V03_MEDIA_TYPE, bundleToJSON, type Bundle, type SerializedBundle } from '@sigstore/bundle';
import { json } from '@sigstore/core';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, type Signer } from '@sigstore/sign';
import type { SigningKey } from './signing-key.js';

export { BUNDLE_V03_MEDIA_TYPE };
export type { SerializedBundle };

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

/** What an attestation says about one module. */
export interface AttestationInput {
  /** Subject name, e.g. `<namespace>/<plugin>@<version>` or the file name. */
  name: string;
  /** SHA-256 of the module, 64 lowercase hex digits. */
  digestHex: string;
  /** Further subjects after the module: the documents published with it (README, schema), named and digested alike. */
  documents?: readonly { name: string; digestHex: string }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/**
 * A Sigstore Signer over the registry's local key: an ASN.1 DER ECDSA
 * signature, and the key id as the public-key hint so verifiers can pick the
 * key. No Fulcio certificate.
 */
export function localKeySigner(key: SigningKey): Signer {
  return {
    sign: async (data) => ({
      signature: sign('sha256', data, key.privateKey),
      key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.keyId },
    }),
  };
}

/**
 * A v0.3 bundle holding a message signature over the module bytes. Not
 * byte-for-byte reproducible: ECDSA signatures are randomized; everything else
 * (digest, hint, media type) is a function of the module and key.
 */
export async function signModule(module: Uint8Array, key: SigningKey): Promise<SerializedBundle> {
  const builder = new MessageSignatureBundleBuilder({ signer: localKeySigner(key), witnesses: [] });
  return bundleToJSON(asV03(await builder.create({ data: toBuffer(module) })));
}

/**
 * A v0.3 DSSE bundle whose payload is an in-toto Statement v1 about the
 * module. The payload is canonical JSON (RFC 8785), so the same input gives
 * the same payload bytes; only the signature varies.
 */
export async function attestModule(input: AttestationInput, key: SigningKey): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({ signer: localKeySigner(key), witnesses: [] });
  const bundle = await builder.create({ data: inTotoPayload(input), type: IN_TOTO_PAYLOAD_TYPE });
  return bundleToJSON(asV03(bundle));
}

export function inTotoStatement({ name, digestHex, documents = [], predicateType, predicate }: AttestationInput): InTotoStatement {
  const subjects = [{ name, digestHex }, ...documents];
  for (const subject of subjects) {
    if (!/^[0-9a-f]{64}$/.test(subject.digestHex)) throw new Error(`digestHex must be 64 lowercase hex digits, got ${JSON.stringify(subject.digestHex)}`);
  }
  return { _type: IN_TOTO_STATEMENT_V1, subject: subjects.map((s) => ({ name: s.name, digest: { sha256: s.digestHex } })), predicateType, predicate };
}

/** The DSSE payload bytes: the canonical JSON of the in-toto statement. */
export function inTotoPayload(input: AttestationInput): Buffer {
  return Buffer.from(json.canonicalize(inTotoStatement(input)), 'utf8');
}

/**
 * The builders stamp v0.2 whenever they were asked for a certificate chain;
 * v0.3 wants the leaf certificate alone (the root is in the trusted root).
 */
export function asV03<T extends Bundle>(bundle: T): T {
  const material = bundle.verificationMaterial;
  if (material.content.$case === 'x509CertificateChain') {
    const leaf = material.content.x509CertificateChain.certificates[0];
    if (!leaf) throw new Error('bundle has an empty certificate chain');
    material.content = { $case: 'certificate', certificate: leaf };
  }
  bundle.mediaType = BUNDLE_V03_MEDIA_TYPE;
  return bundle;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
