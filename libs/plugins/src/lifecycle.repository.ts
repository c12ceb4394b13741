import { Inject, Injectable } from '@nestjs/common';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { DATABASE, type Database, transaction } from '../../db/index.js';
import { recordWebhookEvent } from '../../webhooks/index.js';

/**
 * The writes of a plugin's lifecycle: deprecate and undeprecate, each in one
 * transaction with its audit event and webhook event. A version's (yank, delete) are its owner's:
 * VersionsRepository.
 */
@Injectable()
export class LifecycleRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Deprecates (message given) or undeprecates (null) a plugin. False when there is no such plugin. */
  async setDeprecated(namespace: string, plugin: string, deprecation: { message: string } | null, actor: AuditActor, at: Date): Promise<boolean> {
    return transaction(this.database.prisma, async (tx) => {
      const row = await tx.plugin.findFirst({ where: { name: plugin, namespace: { name: namespace } }, select: { id: true, deprecatedAt: true, deprecationMessage: true } });
      if (row === null) return false;
      if (deprecation === null && row.deprecatedAt === null) return true;
      if (deprecation !== null && row.deprecationMessage === deprecation.message) return true;
      await tx.plugin.update({
        where: { id: row.id },
        data: deprecation === null ? { deprecatedAt: null, deprecationMessage: null } : { deprecatedAt: row.deprecatedAt ?? at, deprecationMessage: deprecation.message },
      });
      await writeAuditEvent(tx, {
        action: deprecation === null ? 'plugin.undeprecated' : 'plugin.deprecated',
        actor,
        namespace,
        plugin,
        details: deprecation === null ? {} : { message: deprecation.message },
      });
      if (deprecation !== null) {
        await recordWebhookEvent(tx, { type: 'plugin.deprecated', namespace, plugin, subject: `${namespace}/${plugin}`, data: { namespace, plugin, message: deprecation.message } });
      }
      return true;
    });
  }
}
