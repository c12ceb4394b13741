import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  ValidationError,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import {
  PolicyError,
  VerificationError,
  Verifier,
  toSignedEntity,
  type SignedEntity,
  type TrustMaterial,
  type VerificationPolicy,
} from '@sigstore/verify';
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1, toBuffer } from './bundles.js';
import type { TrustAnchors } from './trusted-root.js';

export interface TrustedPublicKey {
  keyId: string;
  publicKeyPem: string;
}

/** What a keyless signer's certificate must say. Without one, any identity the trusted CA certified passes. */
export interface IdentityPolicy {
  subjectAlternativeName?: string | RegExp;
  /** The OIDC issuer recorded in the certificate (Fulcio extension 1.3.6.1.4.1.57264.1.8). */
  issuer?: string;
}

export interface VerifyBundleInput {
  /** The bundle as parsed JSON, or its JSON text/bytes. Anything else fails the `bundle` check. */
  bundle: unknown;
  /** The artifact's bytes, or the artifact read once as a stream (never held whole in memory). */
  artifact?: Uint8Array | StreamedArtifact;
  /** SHA-256 of the artifact; enough for DSSE attestations, not for message signatures. */
  artifactDigestHex?: string;
  publicKeys: readonly TrustedPublicKey[];
  /** Needed for bundles with a Fulcio certificate; see loadTrustedRoot. */
  trustedRoot?: TrustAnchors;
  identity?: IdentityPolicy;
}

export type CheckName =
  | 'bundle'
  | 'signing_key'
  | 'transparency_log'
  | 'signature'
  | 'identity'
  | 'artifact_digest'
  | 'subject_digest';

export interface VerificationCheck {
  name: CheckName;
  passed: boolean;
  detail: string;
}

export type BundleSigner =
  | { keyId: string }
  | { identity: { subjectAlternativeName: string | null; issuer: string | null } };

export interface VerificationReport {
  verified: boolean;
  checks: VerificationCheck[];
  /** Who signed, once the signature checked out; null otherwise. */
  signer: BundleSigner | null;
  mediaType: string | null;
  kind: 'message_signature' | 'dsse' | null;
}

const KNOWN_MEDIA_TYPES = new Set([
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
]);
const IN_TOTO_STATEMENT_TYPES = new Set([IN_TOTO_STATEMENT_V1, 'https://in-toto.io/Statement/v0.1']);
const SHA256_HEX = /^[0-9a-f]{64}$/;
const EMPTY_ANCHORS: TrustAnchors = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };

/**
 * An artifact read once, as it streams past: its SHA-256, and a signature verification over the
 * same bytes that is finished later with the signer's key. A message signature (ECDSA or RSA with
 * SHA-256, what @sigstore/verify checks with crypto.verify over the whole artifact) is then checked
 * without holding the artifact in memory, in whatever order the bundle and the artifact arrive.
 */
export class StreamedArtifact {
  private readonly hash = createHash('sha256');
  private readonly signed = createVerify('sha256');
  private digestHex: string | null = null;
  private signatureChecked = false;
  private bytes = 0;

  /** Reads a whole stream into a new StreamedArtifact. */
  static async read(chunks: AsyncIterable<Uint8Array>): Promise<StreamedArtifact> {
    const artifact = new StreamedArtifact();
    for await (const chunk of chunks) artifact.update(chunk);
    artifact.end();
    return artifact;
  }

  update(chunk: Uint8Array): void {
    if (this.digestHex !== null) throw new Error('the artifact has already ended');
    this.hash.update(chunk);
    this.signed.update(chunk);
    this.bytes += chunk.length;
  }

  end(): void {
    this.digestHex ??= this.hash.digest('hex');
  }

  get size(): number {
    return this.bytes;
  }

  get sha256Hex(): string {
    if (this.digestHex === null) throw new Error('the artifact has not been read to the end');
    return this.digestHex;
  }

  /** Finishes the verification over the bytes seen; possible once, as the running state is spent. */
  verifySignature(key: KeyObject, signature: Uint8Array): boolean {
    if (this.digestHex === null) throw new Error('the artifact has not been read to the end');
    if (this.signatureChecked) throw new Error('a streamed artifact can check one signature only');
    this.signatureChecked = true;
    try {
      return this.signed.verify(key, signature);
    } catch {
      // As @sigstore/core's crypto.verify: a key or signature it cannot use is a failed check.
      return false;
    }
  }
}

/**
 * Verifies a Sigstore bundle against the registry's keys (and, for keyless
 * bundles, a trusted root), then binds it to the artifact: @sigstore/verify
 * does not compare a message signature's digest or a DSSE subject with the
 * artifact unless a log entry forces it, so the registry does. Never throws:
 * every problem is a failed check. Never touches the network.
 */
export function verifyBundle(input: VerifyBundleInput): VerificationReport {
  try {
    return runChecks(input);
  } catch (error) {
    // Belt and braces: the checks catch what they expect; a report beats a crash.
    const detail = `verification failed unexpectedly: ${(error as Error)?.message ?? String(error)}`;
    return { verified: false, checks: [{ name: 'bundle', passed: false, detail }], signer: null, mediaType: null, kind: null };
  }
}

function runChecks(input: VerifyBundleInput): VerificationReport {
  const checks: VerificationCheck[] = [];
  const report = (signer: BundleSigner | null, mediaType: string | null, kind: VerificationReport['kind']): VerificationReport => ({
    verified: checks.length > 0 && checks.every((check) => check.passed),
    checks,
    signer,
    mediaType,
    kind,
  });

  const parsed = parseBundle(input.bundle);
  if ('problem' in parsed) {
    checks.push({ name: 'bundle', passed: false, detail: parsed.problem });
    return report(null, parsed.mediaType, null);
  }
  const { bundle } = parsed;
  const kind = bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message_signature';
  checks.push({ name: 'bundle', passed: true, detail: describeBundle(bundle) });

  const expectedDigest = artifactDigest(input);
  const signer = verifySignature(bundle, input, checks);
  checks.push(kind === 'dsse' ? subjectCheck(bundle, expectedDigest) : messageDigestCheck(bundle, expectedDigest));
  return report(signer, bundle.mediaType, kind);
}

type Parsed = { bundle: Bundle } | { problem: string; mediaType: string | null };

function parseBundle(value: unknown): Parsed {
  let json = value;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof value === 'string' ? value : toBuffer(value).toString('utf8'));
    } catch (error) {
      return { problem: `not a Sigstore bundle: not JSON (${(error as Error).message})`, mediaType: null };
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { problem: 'not a Sigstore bundle: expected a JSON object', mediaType: null };
  }
  const mediaType = (json as Record<string, unknown>)['mediaType'];
  if (typeof mediaType !== 'string' || !KNOWN_MEDIA_TYPES.has(mediaType)) {
    return {
      problem: `not a Sigstore bundle: mediaType ${JSON.stringify(mediaType) ?? 'is missing'}, expected ${BUNDLE_V03_MEDIA_TYPE}`,
      mediaType: typeof mediaType === 'string' ? mediaType : null,
    };
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    const fields = error instanceof ValidationError ? `: missing or invalid ${error.fields.join(', ')}` : `: ${(error as Error).message}`;
    return { problem: `malformed Sigstore bundle${fields}`, mediaType };
  }
  try {
    // Parses the certificate and RFC 3161 timestamps, which bundleFromJSON leaves as bytes.
    toSignedEntity(bundle);
  } catch (error) {
    return { problem: `malformed Sigstore bundle: its certificate or timestamps cannot be parsed (${(error as Error).message})`, mediaType };
  }
  return { bundle };
}

function describeBundle(bundle: Bundle): string {
  const material = bundle.verificationMaterial;
  const content = bundle.content.$case === 'dsseEnvelope' ? 'DSSE envelope' : 'message signature';
  const key =
    material.content.$case === 'publicKey'
      ? `public-key hint ${JSON.stringify(material.content.publicKey.hint)}`
      : 'a signing certificate';
  return `${bundle.mediaType}: ${content}, ${key}, ${entries(material.tlogEntries.length)}`;
}

/** Runs @sigstore/verify; pushes signing_key, signature and (with a policy) identity checks. */
function verifySignature(bundle: Bundle, input: VerifyBundleInput, checks: VerificationCheck[]): BundleSigner | null {
  const material = bundle.verificationMaterial.content;
  const keyOnly = material.$case === 'publicKey';
  let keys: Map<string, KeyObject>;
  try {
    keys = new Map(input.publicKeys.map(({ keyId, publicKeyPem }) => [keyId, createPublicKey(publicKeyPem)]));
  } catch (error) {
    checks.push({ name: 'signing_key', passed: false, detail: `a configured public key is unusable: ${(error as Error).message}` });
    return null;
  }

  if (material.$case === 'publicKey') {
    if (!keys.has(material.publicKey.hint)) {
      checks.push({
        name: 'signing_key',
        passed: false,
        detail: `public-key hint ${JSON.stringify(material.publicKey.hint)} matches none of the ${keys.size} trusted keys`,
      });
      return null;
    }
    checks.push({ name: 'signing_key', passed: true, detail: `signed with trusted key ${material.publicKey.hint}` });
  } else if (!input.trustedRoot) {
    checks.push({ name: 'signing_key', passed: false, detail: 'the bundle carries a certificate but no trusted root is configured' });
    return null;
  }

  if (bundle.content.$case === 'messageSignature' && !input.artifact) {
    checks.push({ name: 'signature', passed: false, detail: 'the artifact bytes are needed to check a message signature' });
    return null;
  }

  const trust: TrustMaterial = {
    ...(input.trustedRoot ?? EMPTY_ANCHORS),
    publicKey: (hint) => {
      const publicKey = keys.get(hint);
      if (!publicKey) throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `key not found: ${hint}` });
      return { publicKey, validFor: () => true };
    },
  };
  // A key-only bundle has no log entry, SCT or timestamp to count; a Fulcio
  // certificate lives minutes, so it needs a log entry to date the signature.
  const verifier = new Verifier(
    trust,
    keyOnly ? { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 } : { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 },
  );
  const policy = toPolicy(input.identity);
  const certificateChecks = (): void => {
    if (keyOnly) return;
    checks.push({ name: 'signing_key', passed: true, detail: 'the certificate chains to the trusted root and carries a valid SCT' });
    const count = entries(bundle.verificationMaterial.tlogEntries.length);
    checks.push({ name: 'transparency_log', passed: true, detail: `${count} verified against the trusted root's logs` });
  };
  try {
    const result = verifier.verify(signedEntity(bundle, input.artifact), policy);
    certificateChecks();
    checks.push({ name: 'signature', passed: true, detail: signatureDetail(bundle, keyOnly) });
    if (policy) checks.push({ name: 'identity', passed: true, detail: 'the certificate identity matches the policy' });
    if (material.$case === 'publicKey') return { keyId: material.publicKey.hint };
    return {
      identity: {
        subjectAlternativeName: result.identity?.subjectAlternativeName ?? null,
        issuer: result.identity?.extensions?.issuer ?? null,
      },
    };
  } catch (error) {
    if (error instanceof PolicyError) {
      // The policy is checked last: key, certificate and signature were good.
      certificateChecks();
      checks.push({ name: 'signature', passed: true, detail: signatureDetail(bundle, keyOnly) });
      checks.push({ name: 'identity', passed: false, detail: error.message });
      return null;
    }
    if (!(error instanceof VerificationError)) {
      checks.push({ name: 'signature', passed: false, detail: (error as Error).message });
      return null;
    }
    checks.push({ name: checkFor(error.code), passed: false, detail: `${error.code}: ${error.message}` });
    return null;
  }
}

/** What @sigstore/verify checks; a streamed artifact finishes the message signature check it began while read. */
function signedEntity(bundle: Bundle, artifact: Uint8Array | StreamedArtifact | undefined): SignedEntity {
  if (!(artifact instanceof StreamedArtifact)) return toSignedEntity(bundle, artifact ? toBuffer(artifact) : undefined);
  const entity = toSignedEntity(bundle, Buffer.alloc(0));
  // A DSSE signature covers the envelope's payload, not the artifact: nothing to take over.
  if (bundle.content.$case !== 'messageSignature') return entity;
  const content = entity.signature;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (signature) => content.compareSignature(signature),
      compareDigest: (digest) => content.compareDigest(digest),
      compareSignedDigest: (digest) => content.compareSignedDigest(digest),
      verifySignature: (key) => artifact.verifySignature(key, content.signature),
    },
  };
}

function entries(count: number): string {
  return `${count} transparency log ${count === 1 ? 'entry' : 'entries'}`;
}

/** @sigstore/verify stops at the first failure; name the check after what failed. */
function checkFor(code: VerificationError['code']): CheckName {
  if (code === 'CERTIFICATE_ERROR' || code === 'PUBLIC_KEY_ERROR') return 'signing_key';
  if (code.startsWith('TLOG') || code === 'TIMESTAMP_ERROR') return 'transparency_log';
  return 'signature';
}

function signatureDetail(bundle: Bundle, keyOnly: boolean): string {
  const signed = bundle.content.$case === 'dsseEnvelope' ? 'DSSE signature over the PAE of the payload' : 'signature over the artifact';
  if (keyOnly) return `${signed} verified (key-only bundle: no log entry or timestamp required)`;
  return `${signed} verified with the certificate's key`;
}

function toPolicy(identity: IdentityPolicy | undefined): VerificationPolicy | undefined {
  if (!identity || (identity.subjectAlternativeName === undefined && identity.issuer === undefined)) return undefined;
  return {
    ...(identity.subjectAlternativeName !== undefined ? { subjectAlternativeName: identity.subjectAlternativeName } : {}),
    ...(identity.issuer !== undefined ? { extensions: { issuer: identity.issuer } } : {}),
  };
}

type ExpectedDigest = { hex: string; from: string } | { problem: string };

function artifactDigest({ artifact, artifactDigestHex }: VerifyBundleInput): ExpectedDigest {
  if (artifactDigestHex !== undefined && !SHA256_HEX.test(artifactDigestHex)) {
    return { problem: `artifactDigestHex ${JSON.stringify(artifactDigestHex)} is not 64 lowercase hex digits` };
  }
  if (artifact) {
    const hex = artifact instanceof StreamedArtifact ? artifact.sha256Hex : createHash('sha256').update(artifact).digest('hex');
    if (artifactDigestHex !== undefined && artifactDigestHex !== hex) {
      return { problem: `the artifact's sha256 ${hex} differs from the given artifactDigestHex ${artifactDigestHex}` };
    }
    return { hex, from: "the artifact's sha256" };
  }
  if (artifactDigestHex !== undefined) return { hex: artifactDigestHex, from: 'the given artifact digest' };
  return { problem: 'no artifact or artifactDigestHex given to bind the bundle to' };
}

function messageDigestCheck(bundle: Bundle, expected: ExpectedDigest): VerificationCheck {
  const name = 'artifact_digest';
  if ('problem' in expected) return { name, passed: false, detail: expected.problem };
  if (bundle.content.$case !== 'messageSignature') throw new Error('unreachable: not a message signature');
  const { algorithm, digest } = bundle.content.messageSignature.messageDigest;
  // HashAlgorithm.SHA2_256 is 1 in the protobuf enum.
  if (algorithm !== 1) return { name, passed: false, detail: `messageDigest uses hash algorithm ${algorithm}, expected SHA2_256` };
  const hex = Buffer.from(digest).toString('hex');
  return hex === expected.hex
    ? { name, passed: true, detail: `messageDigest sha256:${hex} equals ${expected.from}` }
    : { name, passed: false, detail: `messageDigest sha256:${hex} differs from ${expected.from} sha256:${expected.hex}` };
}

function subjectCheck(bundle: Bundle, expected: ExpectedDigest): VerificationCheck {
  const name = 'subject_digest';
  if (bundle.content.$case !== 'dsseEnvelope') throw new Error('unreachable: not a DSSE envelope');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { name, passed: false, detail: `payloadType ${JSON.stringify(envelope.payloadType)} is not ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
  } catch (error) {
    return { name, passed: false, detail: `the DSSE payload is not JSON: ${(error as Error).message}` };
  }
  const { _type, subject, predicateType } = (statement ?? {}) as { _type?: unknown; subject?: unknown; predicateType?: unknown };
  if (typeof _type !== 'string' || !IN_TOTO_STATEMENT_TYPES.has(_type)) {
    return { name, passed: false, detail: `the payload's _type ${JSON.stringify(_type)} is not ${IN_TOTO_STATEMENT_V1}` };
  }
  if (!Array.isArray(subject) || subject.length === 0) return { name, passed: false, detail: 'the in-toto statement has no subject' };
  if ('problem' in expected) return { name, passed: false, detail: expected.problem };
  const match = (subject as { name?: unknown; digest?: { sha256?: unknown } }[]).find((s) => s?.digest?.sha256 === expected.hex);
  if (!match) {
    const listed = subject.map((s: { digest?: { sha256?: unknown } }) => String(s?.digest?.sha256)).join(', ');
    return { name, passed: false, detail: `no in-toto subject has sha256 ${expected.hex} (${expected.from}); subjects: ${listed}` };
  }
  return {
    name,
    passed: true,
    detail: `in-toto subject ${JSON.stringify(match.name)} sha256 equals ${expected.from}; predicateType ${JSON.stringify(predicateType)}`,
  };
}
