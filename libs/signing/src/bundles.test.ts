import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dssePae, opensslVerify } from '../../../testing/sigstore-openssl.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { CYCLONEDX_PREDICATE_TYPE, attestModule, signModule, type SerializedBundle } from './bundles.js';
import { signingKeyFromPem, type SigningKey } from './signing-key.js';
import { StreamedArtifact, verifyBundle, type VerificationReport } from './verify.js';

const newKey = (): SigningKey =>
  signingKeyFromPem(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    'test key',
  );
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const flipOneByte = (bytes: Uint8Array, at = 10): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
};
const failed = (report: VerificationReport) => report.checks.filter((c) => !c.passed).map((c) => c.name);
/** The module as it would arrive from a socket: in pieces of `size` bytes, read once. */
const streamed = (bytes: Uint8Array, size: number): Promise<StreamedArtifact> =>
  StreamedArtifact.read(
    (async function* () {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    })(),
  );

const SBOM = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  version: 1,
  components: [{ type: 'library', name: 'proxy-wasm-rust-sdk', version: '0.2.2', purl: 'pkg:cargo/proxy-wasm@0.2.2' }],
};

let key: SigningKey;
let otherKey: SigningKey;
let module: Uint8Array;
beforeAll(async () => {
  key = newKey();
  otherKey = newKey();
  module = await proxyWasmFilter();
});

describe('signModule', () => {
  let bundle: SerializedBundle;
  beforeAll(async () => {
    bundle = await signModule(module, key);
  });

  it('is a v0.3 bundle with a message signature over the module and the key id as hint', () => {
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial?.publicKey).toEqual({ hint: key.keyId });
    expect(bundle.verificationMaterial?.tlogEntries ?? []).toEqual([]);
    expect(bundle.messageSignature?.messageDigest).toEqual({
      algorithm: 'SHA2_256',
      digest: Buffer.from(sha256(module), 'hex').toString('base64'),
    });
    expect(bundle.dsseEnvelope).toBeUndefined();
  });

  it('verifies with @sigstore/verify against the public key, and reports the signer', () => {
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [key] });
    expect(report).toMatchObject({ verified: true, kind: 'message_signature', signer: { keyId: key.keyId }, mediaType: bundle.mediaType });
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['bundle', true],
      ['signing_key', true],
      ['signature', true],
      ['artifact_digest', true],
    ]);
  });

  it('verifies with the openssl CLI alone, given the served PEM public key', async () => {
    const signature = Buffer.from(bundle.messageSignature!.signature, 'base64');
    const result = await opensslVerify(key.publicKeyPem, signature, module);
    expect(result).toEqual({ ok: true, output: 'Verified OK' });
  });

  it('fails both ways when one byte of the module is flipped', async () => {
    const tampered = flipOneByte(module);
    const report = verifyBundle({ bundle, artifact: tampered, publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(failed(report)).toEqual(['signature', 'artifact_digest']);
    expect(report.checks.find((c) => c.name === 'artifact_digest')?.detail).toContain(`differs from the artifact's sha256 sha256:${sha256(tampered)}`);
    expect(report.signer).toBeNull();

    const result = await opensslVerify(key.publicKeyPem, Buffer.from(bundle.messageSignature!.signature, 'base64'), tampered);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('Verification failure');
  });

  it('fails both ways with another key', async () => {
    const unknownHint = verifyBundle({ bundle, artifact: module, publicKeys: [otherKey] });
    expect(unknownHint.verified).toBe(false);
    expect(failed(unknownHint)).toEqual(['signing_key']);
    expect(unknownHint.checks[1]!.detail).toContain(`hint "${key.keyId}" matches none of the 1 trusted keys`);

    // A key that claims the right id but is not the signer's.
    const wrongKey = verifyBundle({ bundle, artifact: module, publicKeys: [{ keyId: key.keyId, publicKeyPem: otherKey.publicKeyPem }] });
    expect(wrongKey.verified).toBe(false);
    expect(wrongKey.checks.find((c) => c.name === 'signature')).toEqual({
      name: 'signature',
      passed: false,
      detail: 'SIGNATURE_ERROR: signature verification failed',
    });

    const result = await opensslVerify(otherKey.publicKeyPem, Buffer.from(bundle.messageSignature!.signature, 'base64'), module);
    expect(result.ok).toBe(false);
  });

  it('fails when the bundle carries a digest of another module, even with a valid signature', async () => {
    const other = await signModule(flipOneByte(module), key);
    const spliced = { ...bundle, messageSignature: { ...bundle.messageSignature!, messageDigest: other.messageSignature!.messageDigest } };
    const report = verifyBundle({ bundle: spliced, artifact: module, publicKeys: [key] });
    // @sigstore/verify alone accepts this: without a log entry it never compares the digest.
    expect(report.checks.find((c) => c.name === 'signature')?.passed).toBe(true);
    expect(failed(report)).toEqual(['artifact_digest']);
    expect(report.verified).toBe(false);
  });

  it('verifies against the module streamed in pieces, with the same report as for the bytes', async () => {
    const whole = verifyBundle({ bundle, artifact: module, publicKeys: [key] });
    for (const size of [1, 7, 4096, module.length]) {
      expect(verifyBundle({ bundle, artifact: await streamed(module, size), publicKeys: [key] })).toEqual(whole);
    }
    expect(whole.verified).toBe(true);
  });

  it('fails a streamed module with one byte flipped, or checked with another key', async () => {
    const tampered = verifyBundle({ bundle, artifact: await streamed(flipOneByte(module), 1000), publicKeys: [key] });
    expect(failed(tampered)).toEqual(['signature', 'artifact_digest']);
    const wrongKey = verifyBundle({ bundle, artifact: await streamed(module, 1000), publicKeys: [{ keyId: key.keyId, publicKeyPem: otherKey.publicKeyPem }] });
    expect(failed(wrongKey)).toEqual(['signature']);
  });

  it('checks one signature per streamed module, and only once it has ended', async () => {
    const artifact = await streamed(module, 1000);
    expect(verifyBundle({ bundle, artifact, publicKeys: [key] }).verified).toBe(true);
    expect(verifyBundle({ bundle, artifact, publicKeys: [key] }).checks).toContainEqual({
      name: 'signature',
      passed: false,
      detail: 'a streamed artifact can check one signature only',
    });
    const unended = new StreamedArtifact();
    unended.update(module);
    expect(verifyBundle({ bundle, artifact: unended, publicKeys: [key] }).verified).toBe(false);
    expect(() => artifact.update(module)).toThrow(/already ended/);
  });

  it('needs the module bytes, not just a digest, to verify a message signature', () => {
    const report = verifyBundle({ bundle, artifactDigestHex: sha256(module), publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(report.checks.find((c) => c.name === 'signature')?.detail).toBe('the artifact bytes are needed to check a message signature');
  });

  it('is the same bundle apart from the randomized ECDSA signature when signed again', async () => {
    const again = await signModule(module, key);
    expect({ ...again, messageSignature: { ...again.messageSignature!, signature: '' } }).toEqual({
      ...bundle,
      messageSignature: { ...bundle.messageSignature!, signature: '' },
    });
  });
});

describe('attestModule', () => {
  let bundle: SerializedBundle;
  let digestHex: string;
  beforeAll(async () => {
    digestHex = sha256(module);
    bundle = await attestModule({ name: 'acme/header-filter@1.2.0', digestHex, predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: SBOM }, key);
  });
  const payloadOf = (b: SerializedBundle) => Buffer.from(b.dsseEnvelope!.payload, 'base64');
  const withPayload = (b: SerializedBundle, statement: unknown): unknown => ({
    ...b,
    dsseEnvelope: { ...b.dsseEnvelope!, payload: Buffer.from(JSON.stringify(statement)).toString('base64') },
  });

  it('is a v0.3 DSSE bundle with an in-toto Statement v1 about the module', () => {
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial?.publicKey).toEqual({ hint: key.keyId });
    expect(bundle.dsseEnvelope!.payloadType).toBe('application/vnd.in-toto+json');
    expect(bundle.dsseEnvelope!.signatures).toEqual([{ keyid: key.keyId, sig: expect.any(String) }]);
    expect(JSON.parse(payloadOf(bundle).toString('utf8'))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'acme/header-filter@1.2.0', digest: { sha256: digestHex } }],
      predicateType: 'https://cyclonedx.org/bom',
      predicate: SBOM,
    });
  });

  it('verifies against the module streamed in pieces: the subject is its sha256', async () => {
    const report = verifyBundle({ bundle, artifact: await streamed(module, 333), publicKeys: [key] });
    expect(report).toMatchObject({ verified: true, kind: 'dsse' });
    expect(failed(verifyBundle({ bundle, artifact: await streamed(flipOneByte(module), 333), publicKeys: [key] }))).toEqual(['subject_digest']);
  });

  it('verifies against the module bytes or its digest', () => {
    for (const artifact of [{ artifact: module }, { artifactDigestHex: digestHex }]) {
      const report = verifyBundle({ bundle, ...artifact, publicKeys: [key] });
      expect(report).toMatchObject({ verified: true, kind: 'dsse', signer: { keyId: key.keyId } });
      expect(report.checks.map((c) => c.name)).toEqual(['bundle', 'signing_key', 'signature', 'subject_digest']);
    }
  });

  it('has a signature over the DSSE PAE that openssl verifies', async () => {
    const pae = dssePae(bundle.dsseEnvelope!.payloadType, payloadOf(bundle));
    const signature = Buffer.from(bundle.dsseEnvelope!.signatures[0]!.sig, 'base64');
    expect(await opensslVerify(key.publicKeyPem, signature, pae)).toEqual({ ok: true, output: 'Verified OK' });
    expect((await opensslVerify(otherKey.publicKeyPem, signature, pae)).ok).toBe(false);
    expect((await opensslVerify(key.publicKeyPem, signature, flipOneByte(pae, pae.length - 5))).ok).toBe(false);
  });

  it('fails the registry check for a validly signed statement about another module', async () => {
    const aboutOther = await attestModule(
      { name: 'acme/header-filter@1.2.0', digestHex: sha256(flipOneByte(module)), predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: SBOM },
      key,
    );
    const report = verifyBundle({ bundle: aboutOther, artifact: module, publicKeys: [key] });
    // @sigstore/verify alone accepts this: it ignores the artifact for DSSE.
    expect(report.checks.find((c) => c.name === 'signature')?.passed).toBe(true);
    expect(failed(report)).toEqual(['subject_digest']);
    expect(report.checks.at(-1)!.detail).toContain(`no in-toto subject has sha256 ${digestHex}`);
    expect(report.verified).toBe(false);
  });

  it('fails signature and subject checks when the subject is edited in the bundle', () => {
    const statement = JSON.parse(payloadOf(bundle).toString('utf8'));
    statement.subject[0].digest.sha256 = sha256(flipOneByte(module));
    const report = verifyBundle({ bundle: withPayload(bundle, statement), artifact: module, publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(failed(report)).toEqual(['signature', 'subject_digest']);
  });

  it('fails when the payload is not an in-toto statement', () => {
    const report = verifyBundle({ bundle: withPayload(bundle, { hello: 'world' }), artifact: module, publicKeys: [key] });
    expect(report.checks.at(-1)).toMatchObject({ name: 'subject_digest', passed: false, detail: expect.stringContaining('_type undefined') });
  });

  it('fails when there is nothing to bind the attestation to', () => {
    const report = verifyBundle({ bundle, publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(report.checks.at(-1)).toEqual({
      name: 'subject_digest',
      passed: false,
      detail: 'no artifact or artifactDigestHex given to bind the bundle to',
    });
  });

  it('has the same payload bytes for the same input, whatever the key order of the predicate', async () => {
    const reordered = Object.fromEntries(Object.entries(SBOM).reverse());
    const again = await attestModule({ name: 'acme/header-filter@1.2.0', digestHex, predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: reordered }, key);
    expect(again.dsseEnvelope!.payload).toBe(bundle.dsseEnvelope!.payload);
  });

  it('refuses a digest that is not 64 lowercase hex digits', async () => {
    await expect(
      attestModule({ name: 'x', digestHex: `sha256:${digestHex}`, predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: SBOM }, key),
    ).rejects.toThrow(/digestHex must be 64 lowercase hex digits/);
  });
});
