import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { signModule, type SerializedBundle } from './bundles.js';
import { signingKeyFromPem, type SigningKey } from './signing-key.js';
import { verifyBundle } from './verify.js';

const module = Buffer.from('\0asm\x01\0\0\0 a tiny module');
let key: SigningKey;
let bundle: SerializedBundle;
beforeAll(async () => {
  key = signingKeyFromPem(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    'test key',
  );
  bundle = await signModule(module, key);
});

describe('verifyBundle on input that is not a usable bundle', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['undefined', () => undefined, /expected a JSON object/],
    ['null', () => null, /expected a JSON object/],
    ['a number', () => 42, /expected a JSON object/],
    ['an array', () => [bundle], /expected a JSON object/],
    ['text that is not JSON', () => 'definitely not a bundle', /not JSON/],
    ['random bytes', () => Uint8Array.from([0xff, 0x00, 0x13, 0x37]), /not JSON/],
    ['an empty object', () => ({}), /mediaType is missing/],
    ['another media type', () => ({ ...bundle, mediaType: 'application/json' }), /mediaType "application\/json"/],
    ['a bundle without content', () => ({ mediaType: bundle.mediaType, verificationMaterial: bundle.verificationMaterial }), /missing or invalid content/],
    [
      'a bundle without verification material',
      () => ({ mediaType: bundle.mediaType, messageSignature: bundle.messageSignature }),
      /missing or invalid verificationMaterial/,
    ],
    [
      'a bundle with an empty signature',
      () => ({ ...bundle, messageSignature: { ...bundle.messageSignature!, signature: '' } }),
      /content\.messageSignature\.signature/,
    ],
  ];

  it.each(cases)('reports %s as unverified instead of throwing', (_, make, detail) => {
    const report = verifyBundle({ bundle: make(), artifact: module, publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(report.signer).toBeNull();
    expect(report.checks.some((c) => !c.passed && detail.test(c.detail))).toBe(true);
  });

  it('names the bundle check first for unparseable input', () => {
    expect(verifyBundle({ bundle: 'nope', artifact: module, publicKeys: [key] })).toEqual({
      verified: false,
      checks: [{ name: 'bundle', passed: false, detail: expect.stringMatching(/^not a Sigstore bundle: not JSON/) }],
      signer: null,
      mediaType: null,
      kind: null,
    });
  });

  it('accepts the bundle as JSON text or bytes', () => {
    expect(verifyBundle({ bundle: JSON.stringify(bundle), artifact: module, publicKeys: [key] }).verified).toBe(true);
    expect(verifyBundle({ bundle: Buffer.from(JSON.stringify(bundle)), artifact: module, publicKeys: [key] }).verified).toBe(true);
  });

  it('reports an unusable configured public key as a failed check', () => {
    const report = verifyBundle({ bundle, artifact: module, publicKeys: [{ keyId: key.keyId, publicKeyPem: 'not a key' }] });
    expect(report.verified).toBe(false);
    expect(report.checks[1]).toMatchObject({ name: 'signing_key', passed: false, detail: expect.stringContaining('unusable') });
  });

  it('refuses an artifactDigestHex that disagrees with the artifact', () => {
    const report = verifyBundle({ bundle, artifact: module, artifactDigestHex: '0'.repeat(64), publicKeys: [key] });
    expect(report.verified).toBe(false);
    expect(report.checks.at(-1)!.detail).toContain('differs from the given artifactDigestHex');
  });

  it('reports a certificate that is not DER as a failed check', () => {
    const report = verifyBundle({
      bundle: { ...bundle, verificationMaterial: { certificate: { rawBytes: Buffer.from('not a cert').toString('base64') } } },
      artifact: module,
      publicKeys: [key],
      trustedRoot: { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
    });
    expect(report.verified).toBe(false);
    expect(report.checks).toEqual([
      { name: 'bundle', passed: false, detail: expect.stringMatching(/^malformed Sigstore bundle: its certificate or timestamps cannot be parsed/) },
    ]);
  });
});
