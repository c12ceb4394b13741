import type { Prisma } from '../../db/index.js';
import { lockOciArtifacts } from '../../versions/index.js';
import { buildOciArtifacts } from './oci-artifacts.js';

type OciWriter = Pick<Prisma.TransactionClient, 'version' | 'ociManifest' | 'ociBlob' | '$executeRaw'>;

/**
 * Stores a ready version's OCI manifests and small blobs unless they are
 * stored already (the first write wins, so digests never change). Runs in the
 * caller's transaction: when a version becomes ready, and for a version made
 * ready before OCI serving existed, on its first pull.
 */
export async function storeOciArtifacts(client: OciWriter, versionId: string): Promise<void> {
  await lockOciArtifacts(client, versionId);
  if ((await client.ociManifest.count({ where: { versionId } })) > 0) return;
  const version = await client.version.findUnique({
    where: { id: versionId },
    include: { plugin: { select: { name: true, namespace: { select: { name: true } } } }, sbom: { select: { json: true } }, signatures: { select: { kind: true, bundle: true } } },
  });
  if (version === null || version.status !== 'ready' || version.readyAt === null) return;
  const artifacts = buildOciArtifacts({
    namespace: version.plugin.namespace.name,
    plugin: version.plugin.name,
    version: version.version,
    moduleDigest: version.digest,
    moduleSize: version.size,
    readyAt: version.readyAt,
    abiVersion: version.abiVersion,
    kind: version.kind,
    sbom: version.sbom?.json ?? null,
    signatures: version.signatures,
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
