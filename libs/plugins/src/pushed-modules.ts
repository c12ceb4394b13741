import type { ReceivedUpload } from '../../blobs/index.js';

/**
 * Modules uploaded beforehand through the OCI blob upload (chunked, resumable),
 * which a publish may name by digest (`moduleDigest`) instead of sending again.
 * OCI push owns those uploads and provides this (libs/oci-push); publishing only asks.
 */
export interface PushedModules {
  /** The blob pushed to this plugin's repository, checked as a module upload would be; null when there is none. */
  adopt(repository: { namespace: string; plugin: string }, digest: string): Promise<ReceivedUpload | null>;
}

export const PUSHED_MODULES = Symbol('PUSHED_MODULES');
