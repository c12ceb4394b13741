import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';
import { CYCLONEDX_PREDICATE_TYPE, signModule, type SerializedBundle, signingKeyFromPem, type SigningKey } from '../../signing/index.js';
import { digestOf, FakeProvenance } from '../test/provenance.fake.js';
import { ProvenanceService } from './provenance.service.js';

const MODULE = Buffer.from('\0asm\x01\0\0\0 a module to vouch for');
const DIGEST = digestOf(MODULE);
let key: SigningKey;
let bundle: SerializedBundle;

beforeAll(async () => {
  key = signingKeyFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'test key');
  bundle = await signModule(MODULE, key);
});

function newTestService() {
  const fake = new FakeProvenance();
  fake.keys = [{ keyId: key.keyId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem, createdAt: new Date('2026-01-01T00:00:00Z') }];
  return { service: new ProvenanceService(fake, fake, fake, loadConfig({})), fake };
}

async function refusal(work: Promise<unknown>): Promise<RegistryError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe('ProvenanceService', () => {
  it('says nothing about a pending version yet: its signature, attestations and SBOM are a 409', async () => {
    const { service, fake } = newTestService();
    const record = fake.addVersion('1.0.0', 'pending');
    fake.signatures.set(record.id, [{ kind: 'message_signature', bundle }]);
    for (const read of [service.signature('acme', 'jwt', '1.0.0'), service.attestations('acme', 'jwt', '1.0.0'), service.sbom('acme', 'jwt', '1.0.0')]) {
      expect(await refusal(read)).toMatchObject({ status: 409, code: 'version_pending' });
    }
  });

  it('hands out the stored bundle of a ready version, and its attestation under the CycloneDX predicate', async () => {
    const { service, fake } = newTestService();
    const record = fake.addVersion('1.0.0', 'ready');
    const attestation = { mediaType: 'attestation' };
    fake.signatures.set(record.id, [{ kind: 'message_signature', bundle }, { kind: 'attestation', bundle: attestation }]);
    expect(await service.signature('acme', 'jwt', '1.0.0')).toBe(bundle);
    expect(await service.attestations('acme', 'jwt', '1.0.0')).toEqual({ items: [{ predicateType: CYCLONEDX_PREDICATE_TYPE, bundle: attestation }] });
  });

  it('a version that was never signed (rejected, failed) has no signature: a 404 saying its status', async () => {
    const { service, fake } = newTestService();
    fake.addVersion('1.0.0', 'rejected');
    const error = await refusal(service.signature('acme', 'jwt', '1.0.0'));
    expect(error).toMatchObject({ status: 404, code: 'signature_not_found' });
    expect(error.detail).toContain('is rejected');
    expect(await refusal(service.sbom('acme', 'jwt', '1.0.0'))).toMatchObject({ status: 404, code: 'sbom_not_found' });
  });

  it('lists the public keys with their dates in RFC 3339', async () => {
    const { service } = newTestService();
    expect(await service.publicKeys()).toEqual([{ keyId: key.keyId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem, createdAt: '2026-01-01T00:00:00.000Z' }]);
  });

  describe('verify against a stored module', () => {
    it('verifies a registry bundle against the module stored under its digest', async () => {
      const { service, fake } = newTestService();
      fake.modules.set(DIGEST, MODULE);
      expect(await service.verify(bundle, { digest: DIGEST })).toMatchObject({ verified: true, digest: DIGEST });
    });

    it('refuses a malformed digest (400) and one not stored here (404)', async () => {
      const { service } = newTestService();
      expect(await refusal(service.verify(bundle, { digest: 'sha256:abc' }))).toMatchObject({ status: 400, code: 'invalid_input' });
      expect(await refusal(service.verify(bundle, { digest: DIGEST }))).toMatchObject({ status: 404, code: 'blob_not_found' });
    });

    it('reads a stored module once for the same bundle, but never vouches from memory for a module deleted since', async () => {
      const { service, fake } = newTestService();
      fake.modules.set(DIGEST, MODULE);
      await service.verify(bundle, { digest: DIGEST });
      await service.verify(bundle, { digest: DIGEST });
      expect(fake.opened).toBe(1);
      fake.modules.delete(DIGEST);
      expect(await refusal(service.verify(bundle, { digest: DIGEST }))).toMatchObject({ status: 404, code: 'blob_not_found' });
    });

    it('does not vouch for storage whose bytes do not hash to the digest, and does not remember the failure', async () => {
      const { service, fake } = newTestService();
      fake.modules.set(DIGEST, Buffer.from('\0asm\x01\0\0\0 other bytes'));
      await expect(service.verify(bundle, { digest: DIGEST })).rejects.toThrow(/has sha256/);
      fake.modules.set(DIGEST, MODULE);
      expect(await service.verify(bundle, { digest: DIGEST })).toMatchObject({ verified: true });
      expect(fake.opened).toBe(2);
    });

    it('a bundle for other bytes does not verify', async () => {
      const { service, fake } = newTestService();
      const other = Buffer.from('\0asm\x01\0\0\0 not what was signed');
      fake.modules.set(digestOf(other), other);
      expect(await service.verify(bundle, { digest: digestOf(other) })).toMatchObject({ verified: false });
    });
  });
});
