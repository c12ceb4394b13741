import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { recordWebhookEvent, type WebhookEventType } from './webhook-events.js';

const FOLLOWED: ReadonlySet<string> = new Set(['published', 'ready', 'rejected', 'yanked', 'unyanked', 'deleted']);

/** The changes of a version subscribers can follow go into the webhooks' outbox with the change. */
@Injectable()
export class WebhookVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    if (!FOLLOWED.has(change.kind)) return;
    const { namespace, plugin, version, digest } = change.version;
    await recordWebhookEvent(tx, {
      type: `version.${change.kind}` as WebhookEventType,
      namespace,
      plugin,
      subject: `${namespace}/${plugin}@${version}`,
      // The registry's URL is the CloudEvent's `source`; receivers build links from it.
      data: { namespace, plugin, version, digest, ...change.details },
    });
  }
}
