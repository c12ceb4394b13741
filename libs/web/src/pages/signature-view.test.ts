import { describe, expect, it } from 'vitest';
import { bundleKeyId, signatureUnavailable, signatureView, verificationSentence, type VerificationAnswer } from './signature-view.js';

const KEY_ID = 'NJOycWbzMQz2jvOeInu0n7Ary0BD2BXSy9qKH0T8L3I=';
const DIGEST = 'sha256:ad56e2c48ef95dcd666fcf43dae166a67fb037aea1863cbbc4f926d694243f48';
const BUNDLE = {
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  messageSignature: { signature: 'MEUC…', messageDigest: { digest: 'rVbi…', algorithm: 'SHA2_256' } },
  verificationMaterial: { publicKey: { hint: KEY_ID }, timestampVerificationData: {} },
};
const VERIFIED: VerificationAnswer = {
  verified: true,
  checks: [
    { name: 'signing_key', passed: true, detail: `signed with trusted key ${KEY_ID}` },
    { name: 'artifact_digest', passed: true, detail: 'messageDigest equals the artifact' },
  ],
  signer: { keyId: KEY_ID },
  mediaType: BUNDLE.mediaType,
  kind: 'message_signature',
  digest: DIGEST,
};
const input = (verification: VerificationAnswer | { problem: string }) => ({
  bundle: BUNDLE,
  verification,
  links: { bundle: '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/signature', keys: '/api/v1/keys' },
  absolute: {
    bundle: 'https://r.example/api/v1/plugins/acme/jwt-auth/versions/1.1.0/signature',
    keys: 'https://r.example/api/v1/keys',
    module: 'https://r.example/api/v1/plugins/acme/jwt-auth/versions/1.1.0/module.wasm',
  },
});

describe('signatureView', () => {
  it('shows the key id and "Verified" when every check passed', () => {
    const markup = signatureView(input(VERIFIED)).value;
    expect(markup).toContain(`<code id="signature-key-id">${KEY_ID}</code>`);
    expect(markup).toMatch(/<p id="signature-verification" class="verdict ok" role="status"><strong>Verified<\/strong>: the signature covers exactly the module with digest sha256:ad56/);
    expect(markup).toContain('<span class="badge ok">passed</span> signing key:');
    expect(markup).toContain('cosign verify-blob --key registry.pub --bundle signature.json --new-bundle-format module.wasm');
    expect(markup).toContain('<a href="/api/v1/keys">public keys (PEM)</a>');
  });

  it('says "Not verified" with the first failed check', () => {
    const failed: VerificationAnswer = { ...VERIFIED, verified: false, checks: [{ name: 'signing_key', passed: false, detail: 'matches none of the 1 trusted keys' }], signer: null };
    const markup = signatureView(input(failed)).value;
    expect(markup).toContain('<strong>Not verified</strong>: signing key: matches none of the 1 trusted keys');
    expect(markup).not.toMatch(/>Verified</);
    // The key id still comes from the bundle's hint.
    expect(markup).toContain(`<code id="signature-key-id">${KEY_ID}</code>`);
    expect(verificationSentence({ problem: 'the verify endpoint refused it.' })).toBe('Not verified: the verify endpoint refused it.');
  });

  it('reads the key id only from a public-key hint', () => {
    expect(bundleKeyId(BUNDLE)).toBe(KEY_ID);
    expect(bundleKeyId({ verificationMaterial: { certificate: { rawBytes: 'MII…' } } })).toBeNull();
    expect(bundleKeyId(null)).toBeNull();
  });

  it('has an unavailable state that says why', () => {
    expect(signatureUnavailable('acme/jwt-auth@1.2.0 is rejected and was not signed').value).toContain(
      '<p id="signature-verification" class="muted">Not verified: acme/jwt-auth@1.2.0 is rejected and was not signed</p>',
    );
  });
});
