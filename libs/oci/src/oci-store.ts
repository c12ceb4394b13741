import type { Prisma } from '../../db/index.js';
import { findVersionById, lockOciArtifacts, type PushedImageManifest } from '../../versions/index.js';
import { buildOciArtifacts } from './oci-artifacts.js';

type OciWriter = Pick<Prisma.TransactionClient, '$queryRaw' | 'sbom' | 'signature' | 'ociManifest' | 'ociBlob' | '$executeRaw'>;

/**
 * Stores the manifest an OCI push created a version from, byte for byte, in the publishing transaction: it is
 * the version's module image from then on (served once the version is ready).
 */
export async function storePushedManifest(client: Pick<Prisma.TransactionClient, 'ociManifest'>, versionId: string, pushed: PushedImageManifest): Promise<void> {
  await client.ociManifest.createMany({
    data: [{ versionId, digest: pushed.digest, mediaType: pushed.mediaType, artifactType: pushed.artifactType, subjectDigest: null, content: new Uint8Array(pushed.content), source: 'publisher' }],
    skipDuplicates: true,
  });
}

/**
 * Stores a ready version's OCI manifests and small blobs unless they are
 * stored already (the first write wins, so digests never change). Runs in the
 * caller's transaction: when a version becomes ready, and for a version made
 * ready before OCI serving existed, on its first pull.
 */
export async function storeOciArtifacts(client: OciWriter, versionId: string): Promise<void> {
  await lockOciArtifacts(client, versionId);
  if ((await client.ociManifest.count({ where: { versionId, source: 'registry' } })) > 0) return;
  const version = await findVersionById(client, versionId);
  if (version === null || version.status !== 'ready' || version.readyAt === null) return;
  const sbom = await client.sbom.findUnique({ where: { versionId }, select: { json: true } });
  const signatures = await client.signature.findMany({ where: { versionId }, select: { kind: true, bundle: true } });
  const pushed = await client.ociManifest.findFirst({ where: { versionId, source: 'publisher', subjectDigest: null }, select: { digest: true, mediaType: true, content: true } });
  const artifacts = buildOciArtifacts({
    namespace: version.namespace,
    plugin: version.plugin,
    version: version.version,
    moduleDigest: version.digest,
    moduleSize: version.size,
    readyAt: version.readyAt,
    abiVersion: version.abiVersion,
    kind: version.kind,
    sbom: sbom?.json ?? null,
    signatures,
    pushedManifest: pushed === null ? null : { digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.content.length },
  });
  // As base64 text, decoded by the database: PGlite encodes a bytea parameter in JavaScript a byte at a
  // time, seconds per MiB on the event loop (an SBOM of 2,000 declared packages is 0.5 MiB).
  for (const b of artifacts.blobs) {
    await client.$executeRaw`
      INSERT INTO oci_blobs (digest, media_type, content) VALUES (${b.digest}, ${b.mediaType}, decode(${b.content.toString('base64')}, 'base64'))
      ON CONFLICT (digest) DO NOTHING`;
  }
  await client.ociManifest.createMany({
    data: artifacts.manifests.map((m) => ({
      versionId,
      digest: m.digest,
      mediaType: m.mediaType,
      artifactType: m.artifactType,
      subjectDigest: m.subjectDigest,
      content: new Uint8Array(m.content),
    })),
    skipDuplicates: true,
  });
}
