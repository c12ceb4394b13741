import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, Prisma, transaction, type Database } from '../../db/index.js';
import { lockDigest } from '../../versions/index.js';
import type { OciRepositoryName } from '../../oci/index.js';

export interface UploadSession {
  id: string;
  namespace: string;
  plugin: string;
  tokenId: string;
  received: number;
  chunks: number;
  chunkDigest: string | null;
  expiresAt: Date;
}

export interface PushedBlobRow {
  namespace: string;
  plugin: string;
  digest: string;
}

const SESSION = { id: true, namespace: true, plugin: true, tokenId: true, received: true, chunks: true, chunkDigest: true, expiresAt: true } as const;

/**
 * The rows of OCI uploads (all database I/O): sessions in progress, and the
 * blobs pushed into each repository. A blob row is written in the transaction
 * that holds the digest's advisory lock while its object moves into place, so
 * that a failed publish never deletes an object a pushed blob still needs.
 */
@Injectable()
export class BlobUploadsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  async createSession(repository: OciRepositoryName, tokenId: string, expiresAt: Date): Promise<UploadSession> {
    return this.prisma.ociUpload.create({ data: { ...repository, tokenId, expiresAt }, select: SESSION });
  }

  /** Sessions a token has open (not yet expired). */
  async openSessions(tokenId: string, now: Date): Promise<number> {
    return this.prisma.ociUpload.count({ where: { tokenId, expiresAt: { gte: now } } });
  }

  async findSession(id: string): Promise<UploadSession | null> {
    return this.prisma.ociUpload.findUnique({ where: { id }, select: SESSION });
  }

  /**
   * Counts a chunk that was stored as number `chunks + 1`, if no other request
   * did first: false when the session moved on (or is gone) meanwhile.
   */
  async addChunk(session: UploadSession, bytes: number, chunkDigest: string | null, expiresAt: Date): Promise<boolean> {
    const { count } = await this.prisma.ociUpload.updateMany({
      where: { id: session.id, chunks: session.chunks },
      data: { chunks: session.chunks + 1, received: session.received + bytes, chunkDigest, updatedAt: new Date(), expiresAt },
    });
    return count === 1;
  }

  async deleteSession(id: string): Promise<void> {
    await this.prisma.ociUpload.deleteMany({ where: { id } });
  }

  /**
   * Records a blob of a repository: under the digest's lock, `promote` puts the
   * bytes at their content-addressed key, the row commits, and the session (if
   * any) ends, all or nothing. Pushing a blob again renews it (the sweep's clock
   * restarts).
   */
  async recordBlob(repository: OciRepositoryName, digest: string, size: number, promote: () => Promise<void>, sessionId: string | null = null): Promise<void> {
    await transaction(this.prisma, async (tx) => {
      await lockDigest(tx, digest);
      await promote();
      await tx.ociPushedBlob.upsert({
        where: { namespace_plugin_digest: { ...repository, digest } },
        create: { ...repository, digest, size },
        update: { createdAt: new Date() },
      });
      if (sessionId !== null) await tx.ociUpload.deleteMany({ where: { id: sessionId } });
    });
  }

  /** The size of a blob `from` has, if its bytes are in storage: pushed there, or a module of one of its versions. */
  async mountableBlob(from: OciRepositoryName, digest: string): Promise<number | null> {
    const pushed = await this.prisma.ociPushedBlob.findUnique({ where: { namespace_plugin_digest: { ...from, digest } }, select: { size: true } });
    if (pushed !== null) return pushed.size;
    const module = await this.prisma.version.findFirst({
      where: { digest, status: { in: ['ready'] }, plugin: { name: from.plugin, namespace: { name: from.namespace } } },
      select: { size: true },
    });
    return module?.size ?? null;
  }

  async expiredSessions(now: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.ociUpload.findMany({ where: { expiresAt: { lt: now } }, select: { id: true }, take: limit, orderBy: { expiresAt: 'asc' } });
    return rows.map((r) => r.id);
  }

  /** Pushed blobs older than `cutoff` that no manifest of their repository names (pushed by tag or by digest). */
  async unreferencedBlobs(cutoff: Date, limit: number): Promise<PushedBlobRow[]> {
    return this.prisma.$queryRaw<PushedBlobRow[]>`
      SELECT b.namespace, b.plugin, b.digest FROM oci_pushed_blobs b
      WHERE b.created_at < ${cutoff} AND ${unreferenced}
      ORDER BY b.created_at
      LIMIT ${limit}`;
  }

  /**
   * Forgets a pushed blob if it is still old and unreferenced (checked again under the digest's lock), and
   * deletes its object unless another repository's row or a module (a `blobs` row) still names it.
   */
  async removeBlob(row: PushedBlobRow, cutoff: Date, removeObject: () => Promise<void>): Promise<boolean> {
    return transaction(this.prisma, async (tx) => {
      await lockDigest(tx, row.digest);
      const removed = await tx.$executeRaw`
        DELETE FROM oci_pushed_blobs b
        WHERE b.namespace = ${row.namespace} AND b.plugin = ${row.plugin} AND b.digest = ${row.digest}
          AND b.created_at < ${cutoff} AND ${unreferenced}`;
      if (removed === 0) return false;
      const others = await tx.ociPushedBlob.count({ where: { digest: row.digest } });
      const modules = await tx.blob.count({ where: { digest: row.digest } });
      if (others === 0 && modules === 0) await removeObject();
      return true;
    });
  }
}

/** No manifest of the blob's repository (`b`) names its digest: neither one pushed by digest nor a version's pushed image. */
const unreferenced = Prisma.sql`
  NOT EXISTS (SELECT 1 FROM oci_pushed_manifests m
              WHERE m.namespace = b.namespace AND m.plugin = b.plugin AND position(convert_to(b.digest, 'UTF8') IN m.content) > 0)
  AND NOT EXISTS (SELECT 1 FROM oci_manifests m
                  JOIN versions v ON v.id = m.version_id JOIN plugins p ON p.id = v.plugin_id JOIN namespaces n ON n.id = p.namespace_id
                  WHERE n.name = b.namespace AND p.name = b.plugin AND m.source = 'publisher'
                    AND position(convert_to(b.digest, 'UTF8') IN m.content) > 0)`;
