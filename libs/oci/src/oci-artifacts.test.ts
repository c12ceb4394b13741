import { describe, expect, it } from 'vitest';
import { buildOciArtifacts, EMPTY_CONFIG, MEDIA_TYPES, sha256Digest, type OciArtifactsInput } from './oci-artifacts.js';

const input: OciArtifactsInput = {
  namespace: 'acme',
  plugin: 'jwt-auth',
  version: '1.2.0',
  moduleDigest: `sha256:${'ab'.repeat(32)}`,
  moduleSize: 2048,
  readyAt: new Date('2026-11-01T10:00:00.000Z'),
  abiVersion: '0.2.1',
  kind: 'module',
  sbom: { bomFormat: 'CycloneDX', specVersion: '1.6' },
  signatures: [
    { kind: 'message_signature', bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', messageSignature: {} } },
    { kind: 'attestation', bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: {} } },
  ],
  pushedManifest: null,
};

const json = (content: Buffer) => JSON.parse(content.toString('utf8'));

describe('buildOciArtifacts', () => {
  it('lays the module out as the Wasm image Istio pulls: wasm config, one layer that is the module', () => {
    const [image] = buildOciArtifacts(input).manifests;
    const manifest = json(image!.content);
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.imageManifest,
      config: { mediaType: 'application/vnd.module.wasm.config.v1+json' },
      layers: [{ mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm', digest: input.moduleDigest, size: 2048 }],
      annotations: { 'org.opencontainers.image.version': '1.2.0', 'org.opencontainers.image.created': '2026-11-01T10:00:00.000Z' },
    });
    expect(image!.digest).toBe(sha256Digest(image!.content));
    expect(image!.subjectDigest).toBeNull();
  });

  it('names every blob a manifest points at, with its digest and size', () => {
    const { manifests, blobs } = buildOciArtifacts(input);
    const byDigest = new Map(blobs.map((b) => [b.digest, b]));
    for (const m of manifests) {
      const parsed = json(m.content);
      for (const d of [parsed.config, ...parsed.layers]) {
        if (d.digest === input.moduleDigest) continue;
        const blob = byDigest.get(d.digest)!;
        expect(blob.content.length).toBe(d.size);
        expect(sha256Digest(blob.content)).toBe(d.digest);
      }
    }
  });

  it('attaches the SBOM and both bundles as referrers of the image, with their artifact types', () => {
    const { manifests } = buildOciArtifacts(input);
    const [image, ...referrers] = manifests;
    expect(referrers.map((r) => r.artifactType)).toEqual([MEDIA_TYPES.cyclonedx, MEDIA_TYPES.sigstoreBundle, MEDIA_TYPES.sigstoreBundle]);
    for (const r of referrers) {
      const parsed = json(r.content);
      expect(r.subjectDigest).toBe(image!.digest);
      expect(parsed.subject).toEqual({ mediaType: MEDIA_TYPES.imageManifest, digest: image!.digest, size: image!.content.length });
      expect(parsed.config).toEqual({ mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: 2 });
      expect(parsed.artifactType).toBe(r.artifactType);
    }
    expect(referrers.map((r) => json(r.content).annotations['dev.sigstore.bundle.content'])).toEqual([undefined, 'dsse-envelope', 'message-signature']);
    expect(EMPTY_CONFIG.digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('gives every version its own config blob, even with the same module and ready time', () => {
    const other = buildOciArtifacts({ ...input, plugin: 'other' });
    expect(other.blobs[0]!.digest).not.toBe(buildOciArtifacts(input).blobs[0]!.digest);
    expect(json(other.blobs[0]!.content)).toMatchObject({ name: 'acme/other', version: '1.2.0', abiVersions: ['0.2.1'] });
  });

  it('is byte-identical when built twice, whatever the order of the signatures', () => {
    const again = buildOciArtifacts({ ...input, signatures: [...input.signatures].reverse() });
    expect(again.manifests.map((m) => m.digest)).toEqual(buildOciArtifacts(input).manifests.map((m) => m.digest));
  });

  it('makes only the image when there is no SBOM and no signature', () => {
    const { manifests, blobs } = buildOciArtifacts({ ...input, sbom: null, signatures: [] });
    expect(manifests).toHaveLength(1);
    expect(blobs.map((b) => b.mediaType)).toEqual([MEDIA_TYPES.wasmConfig]);
  });

  it('makes only referrers, about the pushed manifest, for a version created by an OCI push', () => {
    const pushed = { digest: `sha256:${'cd'.repeat(32)}`, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: 611 };
    const { manifests, blobs } = buildOciArtifacts({ ...input, pushedManifest: pushed });
    expect(manifests.map((m) => m.artifactType)).toEqual([MEDIA_TYPES.cyclonedx, MEDIA_TYPES.sigstoreBundle, MEDIA_TYPES.sigstoreBundle]);
    expect(blobs.map((b) => b.mediaType)).not.toContain(MEDIA_TYPES.wasmConfig);
    for (const m of manifests) {
      expect(m.subjectDigest).toBe(pushed.digest);
      expect(json(m.content).subject).toEqual(pushed);
    }
  });
});
