import { Inject, Injectable, Logger } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import {
  attestModule,
  signModule,
  type AttestationInput,
  type SerializedBundle,
  createKeylessSigner,
  identityTokenFromFile,
  type KeylessSigner,
  loadOrCreateSigningKey,
  type SigningKey,
} from '../../signing/index.js';
import { PipelineRepository } from './pipeline.repository.js';

export interface ModuleSigner {
  /** The key id bundles carry, or "keyless" for certificate-based signatures. */
  keyId: string;
  signModule(module: Uint8Array): Promise<SerializedBundle>;
  attestModule(input: AttestationInput): Promise<SerializedBundle>;
}

/**
 * The registry's signing key, loaded once per process, and the public keys
 * every process serves. Each process that signs records its public key in the
 * database, so the API can serve it even when only workers hold the private key.
 */
@Injectable()
export class SigningKeys {
  private readonly logger = new Logger('SigningKeys');
  private key: Promise<SigningKey> | null = null;
  private keyless: KeylessSigner | null = null;

  constructor(
    private readonly pipeline: PipelineRepository,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** The private key, loaded or generated on first use and registered in the database. */
  signingKey(): Promise<SigningKey> {
    this.key ??= (async () => {
      const key = await loadOrCreateSigningKey({ dataDir: this.config.dataDir, keyPath: this.config.signing.keyPath });
      await this.pipeline.registerSigningKey({ keyId: key.keyId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem });
      this.logger.log(`signing with key ${key.keyId}${this.config.signing.keyPath ? ` from ${this.config.signing.keyPath}` : ' (generated in DATA_DIR)'}`);
      return key;
    })().catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }

  /**
   * What signs: the registry's key, or, when Fulcio and Rekor are configured,
   * short-lived keyless certificates with a transparency log entry.
   */
  async signer(): Promise<ModuleSigner> {
    const keyless = this.config.signing.keyless;
    if (keyless !== null) {
      this.keyless ??= createKeylessSigner({
        fulcioUrl: keyless.fulcioUrl,
        rekorUrl: keyless.rekorUrl,
        identityToken: identityTokenFromFile(keyless.identityTokenPath),
      });
      return { keyId: 'keyless', signModule: (m) => this.keyless!.signModule(m), attestModule: (i) => this.keyless!.attestModule(i) };
    }
    const key = await this.signingKey();
    return { keyId: key.keyId, signModule: (m) => signModule(m, key), attestModule: (i) => attestModule(i, key) };
  }

  publicKeys(): Promise<{ keyId: string; algorithm: string; publicKeyPem: string; createdAt: Date }[]> {
    return this.pipeline.signingKeys();
  }
}
