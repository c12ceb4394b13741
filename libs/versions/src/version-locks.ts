import type { Prisma } from '../../db/index.js';
import { formatCoordinates, type VersionCoordinates } from './version.js';

/**
 * The lock protocol. Every transaction that touches a plugin's or a version's
 * rows takes its locks in this order, skipping the ones it does not need and
 * never going back to an earlier kind, so no two transactions can ever wait for
 * each other in a cycle (PostgreSQL's `deadlock detected`):
 *
 *   1. advisory `version:<namespace>/<plugin>@<version>`: one change of a version
 *      at a time, in every process (a plugin's metadata takes `plugin:<namespace>/<plugin>`
 *      here instead; no transaction takes both)
 *   2. advisory `digest:<digest>`: a blob row and its object appear and go together
 *   3. advisory `namespace-plugins:<namespace>`: counting a namespace's plugins for its quota
 *   4. the plugin row, `SELECT … FOR UPDATE`, before any version row of the plugin is
 *      inserted, updated or deleted. Inserting a version key-share locks the plugin row
 *      and refreshing the catalog updates it (`latest_version_id` is unique, so that
 *      takes the strongest row lock): taking the full lock first is what keeps a publish
 *      and a mark-ready from deadlocking. It also serialises the versions-per-plugin count.
 *   5. version rows, then their steps, outbox entries and blob rows
 *   6. advisory `oci:<versionId>`: storing a ready version's OCI artifacts
 *   7. advisory `webhook-outbox`, held from writing a webhook event to the commit, so that
 *      deliveries' ids follow commit order (libs/webhooks recordWebhookEvent); nothing is
 *      locked after it
 *
 * Statements outside a version's life lock single rows (the download mark) or
 * follow the same order (the download counter locks its plugin rows, in id order,
 * before adding counts).
 */

async function advisoryLock(tx: Pick<Prisma.TransactionClient, '$executeRaw'>, key: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
}

const versionKey = (v: VersionCoordinates): string => `version:${formatCoordinates(v)}`;

/** 1. Held to the end of the transaction. */
export async function lockVersion(tx: Prisma.TransactionClient, version: VersionCoordinates): Promise<void> {
  await advisoryLock(tx, versionKey(version));
}

/** 1, without waiting: false when another transaction holds it (the reconciler skips that version for now). */
export async function tryLockVersion(tx: Prisma.TransactionClient, version: VersionCoordinates): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${versionKey(version)}, 0)) AS locked`;
  return row?.locked === true;
}

/** 1, for a plugin's metadata. */
export async function lockPluginName(tx: Prisma.TransactionClient, namespace: string, plugin: string): Promise<void> {
  await advisoryLock(tx, `plugin:${namespace}/${plugin}`);
}

/** 2. */
export async function lockDigest(tx: Prisma.TransactionClient, digest: string): Promise<void> {
  await advisoryLock(tx, `digest:${digest}`);
}

/** 3. */
export async function lockNamespacePluginCount(tx: Prisma.TransactionClient, namespace: string): Promise<void> {
  await advisoryLock(tx, `namespace-plugins:${namespace}`);
}

/** 4. */
export async function lockPluginRow(tx: Prisma.TransactionClient, pluginId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM plugins WHERE id = ${pluginId}::uuid FOR UPDATE`;
}

/** 4, for the plugin of a version, found in the same statement; false when the version is gone. */
export async function lockPluginRowOfVersion(tx: Pick<Prisma.TransactionClient, '$queryRaw'>, versionId: string): Promise<boolean> {
  const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM plugins WHERE id = (SELECT plugin_id FROM versions WHERE id = ${versionId}::uuid) FOR UPDATE`;
  return locked.length > 0;
}

/** 4, for the plugins of several versions (the download counter): in id order, so that two such transactions agree too. */
export async function lockPluginRowsOfVersions(tx: Pick<Prisma.TransactionClient, '$queryRaw'>, versionIds: readonly string[]): Promise<void> {
  await tx.$queryRaw`
    SELECT 1 FROM plugins WHERE id IN (SELECT plugin_id FROM versions WHERE id = ANY(${[...versionIds]}::uuid[]))
    ORDER BY id FOR NO KEY UPDATE`;
}

/** 6. */
export async function lockOciArtifacts(tx: Pick<Prisma.TransactionClient, '$executeRaw'>, versionId: string): Promise<void> {
  await advisoryLock(tx, `oci:${versionId}`);
}
