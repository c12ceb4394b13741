// Signing: Sigstore bundles for modules and attestations, with a local key or keyless, and verifying them.
export {
  type AttestationInput,
  BUNDLE_V03_MEDIA_TYPE,
  CYCLONEDX_PREDICATE_TYPE,
  type SerializedBundle,
  attestModule,
  signModule,
} from './src/bundles.js';
export { type KeylessSigner, createKeylessSigner, identityTokenFromFile } from './src/keyless.js';
export { type SigningKey, keyIdOf, loadOrCreateSigningKey, signingKeyFromPem } from './src/signing-key.js';
export { type TrustAnchors, loadTrustedRoot } from './src/trusted-root.js';
export { StreamedArtifact, type VerificationReport, verifyBundle } from './src/verify.js';
