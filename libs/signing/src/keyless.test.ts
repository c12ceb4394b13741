import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../testing/free-port.js';
import { fakeIdentityToken, startMockSigstore, type MockSigstore } from '../../../testing/sigstore-mock-servers.js';
import { opensslCertificatePublicKey, opensslVerify, opensslVerifyChain } from '../../../testing/sigstore-openssl.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { CYCLONEDX_PREDICATE_TYPE, type SerializedBundle } from './bundles.js';
import { createKeylessSigner, identityTokenFromFile, staticIdentityToken, type KeylessOptions } from './keyless.js';
import { loadTrustedRoot, parseTrustedRoot, type TrustAnchors } from './trusted-root.js';
import { StreamedArtifact, verifyBundle, type VerificationReport } from './verify.js';

const ISSUER = 'https://token.actions.example.test';
const WORKFLOW = 'https://github.com/acme/header-filter/.github/workflows/release.yml@refs/tags/v1.2.0';
const SBOM = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const failed = (report: VerificationReport) => report.checks.filter((c) => !c.passed).map((c) => c.name);
const certificateOf = (bundle: SerializedBundle) => Buffer.from(bundle.verificationMaterial!.certificate!.rawBytes, 'base64');

let sigstore: MockSigstore;
let otherSigstore: MockSigstore;
let dir: string;
let trustedRoot: TrustAnchors;
let module: Buffer;
let options: KeylessOptions;

beforeAll(async () => {
  [sigstore, otherSigstore] = await Promise.all([startMockSigstore(), startMockSigstore()]);
  dir = await mkdtemp(join(tmpdir(), 'keyless-'));
  // Trust comes from a file, as in production: never fetched.
  const rootPath = join(dir, 'trusted_root.json');
  await writeFile(rootPath, JSON.stringify(sigstore.trustedRoot));
  trustedRoot = await loadTrustedRoot(rootPath);
  module = await proxyWasmFilter();
  options = {
    fulcioUrl: sigstore.fulcioUrl,
    rekorUrl: sigstore.rekorUrl,
    identityToken: staticIdentityToken(fakeIdentityToken({ iss: ISSUER, sub: WORKFLOW })),
    retries: 0,
  };
});
afterAll(async () => {
  await Promise.all([sigstore?.stop(), otherSigstore?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('keyless message signature', () => {
  let bundle: SerializedBundle;
  beforeAll(async () => {
    sigstore.requests.length = 0;
    bundle = await createKeylessSigner(options).signModule(module);
  });

  it('asks the configured Fulcio for a certificate, then the configured Rekor for an entry', () => {
    expect(sigstore.requests).toEqual(['POST /api/v2/signingCert', 'POST /api/v1/log/entries']);
  });

  it('is a v0.3 bundle with the leaf certificate and a hashedrekord entry with inclusion proof', () => {
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(Object.keys(bundle.verificationMaterial!)).toContain('certificate');
    expect(bundle.verificationMaterial!.x509CertificateChain).toBeUndefined();
    expect(bundle.verificationMaterial!.publicKey).toBeUndefined();
    const entries = bundle.verificationMaterial!.tlogEntries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.1' });
    expect(entries[0]!.inclusionProof?.checkpoint.envelope).toContain(new URL(sigstore.rekorUrl).host);
    expect(entries[0]!.inclusionPromise?.signedEntryTimestamp).toEqual(expect.any(String));
    expect(bundle.messageSignature!.messageDigest!.digest).toBe(Buffer.from(sha256(module), 'hex').toString('base64'));
  });

  it('verifies against the trusted root from the file and names the signing identity', () => {
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot });
    expect(report).toMatchObject({
      verified: true,
      kind: 'message_signature',
      signer: { identity: { subjectAlternativeName: WORKFLOW, issuer: ISSUER } },
    });
    expect(report.checks.map((c) => c.name)).toEqual(['bundle', 'signing_key', 'transparency_log', 'signature', 'artifact_digest']);
  });

  it('verifies independently with openssl: the leaf chains to the mock root and signed the module', async () => {
    const root = (sigstore.trustedRoot['certificateAuthorities'] as { certChain: { certificates: { rawBytes: string }[] } }[])[0]!;
    const rootDer = Buffer.from(root.certChain.certificates[0]!.rawBytes, 'base64');
    expect((await opensslVerifyChain(rootDer, certificateOf(bundle))).output).toMatch(/: OK$/);
    const publicKeyPem = await opensslCertificatePublicKey(certificateOf(bundle));
    const signature = Buffer.from(bundle.messageSignature!.signature, 'base64');
    expect(await opensslVerify(publicKeyPem, signature, module)).toEqual({ ok: true, output: 'Verified OK' });
  });

  it('checks the identity policy when one is given', () => {
    const matching = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot, identity: { subjectAlternativeName: WORKFLOW, issuer: ISSUER } });
    expect(matching.verified).toBe(true);
    expect(matching.checks.find((c) => c.name === 'identity')?.passed).toBe(true);

    const regex = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot, identity: { subjectAlternativeName: /^https:\/\/github\.com\/acme\// } });
    expect(regex.verified).toBe(true);

    const otherRepo = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot, identity: { subjectAlternativeName: /^https:\/\/github\.com\/evil\// } });
    expect(otherRepo.verified).toBe(false);
    expect(failed(otherRepo)).toEqual(['identity']);
    expect(otherRepo.signer).toBeNull();

    const otherIssuer = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot, identity: { issuer: 'https://accounts.example.test' } });
    expect(failed(otherIssuer)).toEqual(['identity']);
  });

  it('verifies against the module streamed in pieces, its log entry included', async () => {
    const pieces = async function* (bytes: Buffer) {
      for (let at = 0; at < bytes.length; at += 100) yield bytes.subarray(at, at + 100);
    };
    const report = verifyBundle({ bundle, artifact: await StreamedArtifact.read(pieces(module)), publicKeys: [], trustedRoot });
    expect(report).toEqual(verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot }));
    expect(report.verified).toBe(true);
    const tampered = Buffer.from(module);
    tampered[12]! ^= 0xff;
    expect(failed(verifyBundle({ bundle, artifact: await StreamedArtifact.read(pieces(tampered)), publicKeys: [], trustedRoot }))).toEqual(['signature', 'artifact_digest']);
  });

  it('fails for a modified module', () => {
    const tampered = Buffer.from(module);
    tampered[12]! ^= 0xff;
    const report = verifyBundle({ bundle, artifact: tampered, publicKeys: [], trustedRoot });
    expect(report.verified).toBe(false);
    expect(failed(report)).toEqual(['signature', 'artifact_digest']);
  });

  it("fails against another Sigstore deployment's trusted root", () => {
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot: parseTrustedRoot(otherSigstore.trustedRoot) });
    expect(report.verified).toBe(false);
    expect(report.checks.find((c) => !c.passed)).toEqual({
      name: 'signing_key',
      passed: false,
      detail: 'CERTIFICATE_ERROR: Failed to verify certificate chain',
    });
  });

  it('fails without a trusted root, naming what is missing', () => {
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [] });
    expect(report.verified).toBe(false);
    expect(report.checks[1]).toEqual({
      name: 'signing_key',
      passed: false,
      detail: 'the bundle carries a certificate but no trusted root is configured',
    });
  });

  it('fails when the log entry is stripped: a short-lived certificate needs one', () => {
    const stripped = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial!, tlogEntries: [] } };
    const report = verifyBundle({ bundle: stripped, artifact: module, publicKeys: [], trustedRoot });
    expect(report.verified).toBe(false);
    expect(report.checks.find((c) => !c.passed)).toMatchObject({ name: 'transparency_log', detail: expect.stringContaining('TIMESTAMP_ERROR') });
  });
});

describe('keyless DSSE attestation', () => {
  const input = () => ({ name: 'acme/header-filter@1.2.0', digestHex: sha256(module), predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: SBOM });

  it("round-trips with Rekor's 'intoto' entry type", async () => {
    const bundle = await createKeylessSigner({ ...options, dsseEntryType: 'intoto' }).attestModule(input());
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial!.tlogEntries[0]!.kindVersion).toEqual({ kind: 'intoto', version: '0.0.2' });

    const report = verifyBundle({ bundle, artifactDigestHex: sha256(module), publicKeys: [], trustedRoot });
    expect(report).toMatchObject({ verified: true, kind: 'dsse', signer: { identity: { subjectAlternativeName: WORKFLOW } } });
    expect(report.checks.map((c) => c.name)).toEqual(['bundle', 'signing_key', 'transparency_log', 'signature', 'subject_digest']);

    const otherModule = verifyBundle({ bundle, artifactDigestHex: 'f'.repeat(64), publicKeys: [], trustedRoot });
    expect(failed(otherModule)).toEqual(['subject_digest']);
  });

  it("signs with the default 'dsse' entry type, but the mock Rekor's entry does not verify", async () => {
    // The mock logs the proposed entry verbatim; real Rekor stores a
    // canonicalized dsse body (signatures, hashes) that verifiers compare with.
    const bundle = await createKeylessSigner(options).attestModule(input());
    expect(bundle.verificationMaterial!.tlogEntries[0]!.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [], trustedRoot });
    expect(report.verified).toBe(false);
    expect(report.checks.find((c) => !c.passed)).toMatchObject({ name: 'transparency_log', detail: expect.stringContaining('TLOG_BODY_ERROR') });
  });
});

describe('keyless configuration', () => {
  it('reads the identity token file on every signature', async () => {
    const tokenPath = join(dir, 'token');
    const signer = createKeylessSigner({ ...options, identityToken: identityTokenFromFile(tokenPath) });
    const signAs = async (sub: string) => {
      await writeFile(tokenPath, `${fakeIdentityToken({ iss: ISSUER, sub })}\n`);
      const report = verifyBundle({ bundle: await signer.signModule(module), artifact: module, publicKeys: [], trustedRoot });
      return report.signer;
    };
    expect(await signAs('https://example.test/first')).toEqual({ identity: { subjectAlternativeName: 'https://example.test/first', issuer: ISSUER } });
    expect(await signAs('https://example.test/second')).toEqual({ identity: { subjectAlternativeName: 'https://example.test/second', issuer: ISSUER } });
  });

  it('fails clearly when there is no identity token', async () => {
    const signer = createKeylessSigner({ ...options, identityToken: identityTokenFromFile(join(dir, 'no-such-token')) });
    await expect(signer.signModule(module)).rejects.toMatchObject({ code: 'IDENTITY_TOKEN_READ_ERROR' });
  });

  it('fails clearly when Fulcio is unreachable, without trying anything else', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    sigstore.requests.length = 0;
    const signer = createKeylessSigner({ ...options, fulcioUrl: closed });
    await expect(signer.signModule(module)).rejects.toMatchObject({ code: 'CA_CREATE_SIGNING_CERTIFICATE_ERROR' });
    expect(sigstore.requests).toEqual([]);
  });

  it('refuses to start without both URLs', () => {
    expect(() => createKeylessSigner({ ...options, fulcioUrl: '' })).toThrow(/needs fulcioUrl/);
    expect(() => createKeylessSigner({ ...options, rekorUrl: 'rekor.internal' })).toThrow(/needs rekorUrl/);
  });
});
