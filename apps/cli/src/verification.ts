import { createPublicKey } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StreamedArtifact, keyIdOf, loadTrustedRoot, verifyBundle, type VerificationReport } from '../../../libs/signing/index.js';
import { usageError } from './cli-error.js';

/** What a signature must be checked against: the registry's key(s), or a keyless signer's identity under a trusted root. */
export interface Trust {
  keys: { keyId: string; publicKeyPem: string }[];
  trustedRootPath: string | null;
  identity: { subject: string; issuer: string } | null;
}

/** Reads a PEM public key file (cosign's --key): one key, its registry key id computed as the registry does. */
export async function publicKeyFromFile(path: string): Promise<{ keyId: string; publicKeyPem: string }> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read --key ${path}: ${(error as Error).message}`);
  }
  try {
    const key = createPublicKey(pem);
    return { keyId: keyIdOf(key), publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString() };
  } catch (error) {
    throw usageError(`--key ${path} is not a PEM public key: ${(error as Error).message}`, 'get the registry\'s key with: curl REGISTRY/api/v1/keys');
  }
}

/**
 * Verifies `bundle` over the module file, offline: the file is read once as a
 * stream (never whole in memory); nothing touches the network.
 */
export async function verifyModuleFile(modulePath: string, bundleText: string, trust: Trust): Promise<VerificationReport & { sha256: string }> {
  let bundle: unknown;
  try {
    bundle = JSON.parse(bundleText);
  } catch (error) {
    return { verified: false, checks: [{ name: 'bundle', passed: false, detail: `the bundle is not JSON: ${(error as Error).message}` }], signer: null, mediaType: null, kind: null, sha256: '' };
  }
  const artifact = await StreamedArtifact.read(createReadStream(modulePath));
  const trustedRoot = trust.trustedRootPath === null ? undefined : await loadTrustedRoot(trust.trustedRootPath).catch((error: Error) => {
    throw usageError(`cannot use --trusted-root ${trust.trustedRootPath}: ${error.message}`, 'give a Sigstore trusted_root.json (cosign and sigstore-js read the same file)');
  });
  const report = verifyBundle({
    bundle,
    artifact,
    publicKeys: trust.keys,
    trustedRoot,
    identity: trust.identity === null ? undefined : { subjectAlternativeName: trust.identity.subject, issuer: trust.identity.issuer },
  });
  // A keyless bundle verified without an identity policy proves only that someone certified signed it: refuse that.
  if (report.verified && report.signer !== null && 'identity' in report.signer && trust.identity === null) {
    return {
      ...report,
      verified: false,
      checks: [...report.checks, { name: 'identity', passed: false, detail: 'the bundle is signed keyless; say whose signature to accept with --certificate-identity and --certificate-oidc-issuer' }],
      sha256: artifact.sha256Hex,
    };
  }
  return { ...report, sha256: artifact.sha256Hex };
}
