import { readFile } from 'node:fs/promises';
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, type IdentityProvider } from '@sigstore/sign';
import { IN_TOTO_PAYLOAD_TYPE, asV03, inTotoPayload, toBuffer, type AttestationInput } from './bundles.js';

/** Returns an OIDC identity token for Fulcio; called once per signature (tokens expire). */
export type IdentityTokenSource = () => Promise<string>;

export interface KeylessOptions {
  /** Fulcio base URL, e.g. https://fulcio.example.internal (no path). */
  fulcioUrl: string;
  /** Rekor base URL (Rekor v1 API). */
  rekorUrl: string;
  identityToken: IdentityTokenSource;
  /**
   * Rekor entry type for DSSE attestations. 'dsse' is what current Rekor and
   * sigstore-js use; 'intoto' is the older type (and the one @sigstore/mock's
   * Rekor answers with verifiable entries).
   */
  dsseEntryType?: 'dsse' | 'intoto';
  /** Per-request timeout, milliseconds. */
  timeoutMs?: number;
  /** Retries for 5xx/408/429 and network failures. */
  retries?: number;
}

/** Signs with an ephemeral key certified by Fulcio and logged in Rekor. */
export interface KeylessSigner {
  signModule(module: Uint8Array): Promise<SerializedBundle>;
  attestModule(input: AttestationInput): Promise<SerializedBundle>;
}

/**
 * Keyless signing against the configured Fulcio and Rekor, never the public
 * instances: both URLs are required. Bundles are v0.3 with the leaf
 * certificate and one Rekor entry (with inclusion proof). Each call makes a
 * fresh ephemeral key and asks Fulcio for a certificate.
 */
export function createKeylessSigner(options: KeylessOptions): KeylessSigner {
  for (const [name, url] of [
    ['fulcioUrl', options.fulcioUrl],
    ['rekorUrl', options.rekorUrl],
  ] as const) {
    if (!/^https?:\/\/[^/]/.test(url ?? '')) throw new Error(`keyless signing needs ${name} as an http(s) URL, got ${JSON.stringify(url)}`);
  }
  const fetchOptions = { timeout: options.timeoutMs ?? 30_000, retry: options.retries ?? 2 };
  const identityProvider: IdentityProvider = { getToken: options.identityToken };
  // A new FulcioSigner per bundle: it holds its ephemeral key for life.
  const signer = () => new FulcioSigner({ identityProvider, fulcioBaseURL: stripSlash(options.fulcioUrl), ...fetchOptions });
  const witness = (entryType?: 'dsse' | 'intoto') =>
    new RekorWitness({ rekorBaseURL: stripSlash(options.rekorUrl), entryType, majorApiVersion: 1, ...fetchOptions });

  return {
    async signModule(module) {
      const builder = new MessageSignatureBundleBuilder({ signer: signer(), witnesses: [witness()] });
      return bundleToJSON(asV03(await builder.create({ data: toBuffer(module) })));
    },
    async attestModule(input) {
      const builder = new DSSEBundleBuilder({ signer: signer(), witnesses: [witness(options.dsseEntryType ?? 'dsse')] });
      return bundleToJSON(asV03(await builder.create({ data: inTotoPayload(input), type: IN_TOTO_PAYLOAD_TYPE })));
    },
  };
}

/** A token re-read from a file on every use, as projected service-account tokens rotate. */
export function identityTokenFromFile(path: string): IdentityTokenSource {
  return async () => {
    const token = (await readFile(path, 'utf8')).trim();
    if (token === '') throw new Error(`identity token file ${path} is empty`);
    return token;
  };
}

/** A fixed token, e.g. one the configuration read from the environment at boot. */
export function staticIdentityToken(token: string): IdentityTokenSource {
  return async () => token;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
