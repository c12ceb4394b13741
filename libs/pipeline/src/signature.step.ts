import { Injectable } from '@nestjs/common';
import { digestHex } from '../../domain/index.js';
import { CYCLONEDX_PREDICATE_TYPE } from '../../signing/index.js';
import { formatCoordinates, type VersionRecord, type VersionToProcess } from '../../versions/index.js';
import { PipelineRepository } from './pipeline.repository.js';
import { SigningKeys } from './signing-keys.js';

/**
 * Signs the module (a message signature) and attests its SBOM (a DSSE in-toto
 * statement about the module's digest). Signatures are randomised, so what is
 * stored first is kept: a re-run after a crash stores nothing new.
 */
@Injectable()
export class SignatureStep {
  constructor(
    private readonly pipeline: PipelineRepository,
    private readonly keys: SigningKeys,
  ) {}

  async run(version: VersionToProcess, module: Uint8Array): Promise<void> {
    // Read together: a re-run that finds both signatures stored is rare.
    const [stored, sbom] = await Promise.all([this.pipeline.findSignatures(version.id), this.pipeline.findSbom(version.id)]);
    const existing = new Set(stored.map((s) => s.kind));
    if (existing.has('message_signature') && existing.has('attestation')) return;
    if (sbom === null) throw new Error('the SBOM step has not stored an SBOM to attest');
    const signer = await this.keys.signer();
    const signatures = [];
    if (!existing.has('message_signature')) {
      signatures.push({ kind: 'message_signature' as const, keyId: signer.keyId, bundle: await signer.signModule(module) });
    }
    if (!existing.has('attestation')) {
      const bundle = await signer.attestModule({
        name: `${formatCoordinates(version)}`,
        digestHex: digestHex(version.digest),
        documents: contractDocuments(version),
        predicateType: CYCLONEDX_PREDICATE_TYPE,
        predicate: sbom.json as Record<string, unknown>,
      });
      signatures.push({ kind: 'attestation' as const, keyId: signer.keyId, bundle });
    }
    await this.pipeline.saveSignatures(version.id, signatures as { kind: 'message_signature' | 'attestation'; keyId: string; bundle: object }[]);
  }
}

/**
 * The contract's documents as further subjects, named `<coordinates>/<file>`:
 * a verifier holding the README or schema finds its digest signed beside the module's.
 */
export function contractDocuments(version: VersionRecord): { name: string; digestHex: string }[] {
  const contract = version.contract;
  if (contract === null) return [];
  const documents: [string, string | null][] = [
    ['README.md', contract.readmeDigest],
    ['config-schema.json', contract.configSchemaDigest],
    ['examples.json', contract.examplesDigest],
  ];
  return documents
    .filter((d): d is [string, string] => d[1] !== null)
    .map(([file, digest]) => ({ name: `${formatCoordinates(version)}/${file}`, digestHex: digestHex(digest) }));
}
