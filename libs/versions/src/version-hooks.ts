import type { Prisma } from '../../db/index.js';
import type { AuditActor } from '../../domain/index.js';
import type { VersionCoordinates } from './version.js';

/** Every change in a version's life; the audit log names each `version.<kind>`. */
export type VersionChangeKind = 'published' | 'ready' | 'rejected' | 'failed' | 'retried' | 'yanked' | 'unyanked' | 'deleted';

export interface VersionChange {
  kind: VersionChangeKind;
  version: VersionCoordinates & { id: string; pluginId: string; digest: string };
  actor: AuditActor;
  /** What the audit event records beside the coordinates (reason, size, …). */
  details: Record<string, unknown>;
  /** On `published` by an OCI push: the manifest pushed, which the OCI hook stores as the version's module image. */
  pushedManifest?: PushedImageManifest;
}

/** An image manifest exactly as a client pushed it, with what it is about. */
export interface PushedImageManifest {
  digest: string;
  mediaType: string;
  /** The config's media type (what kind of Wasm image it is). */
  artifactType: string;
  content: Buffer;
}

/**
 * What reacts to a change of a version (the catalog, OCI artifacts, the audit
 * log, caches; webhooks later). Called by VersionsRepository inside the
 * transaction that makes the change, after it, so that nothing ever sees the
 * change without its consequences. A hook that throws rolls the change back.
 */
export interface VersionLifecycleHook {
  onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void>;
}

/** The hooks, in the order they run (a Nest provider: VersionsModule.forRoot). */
export const VERSION_HOOKS = Symbol('VersionLifecycleHooks');
