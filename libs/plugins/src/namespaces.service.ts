import { Inject, Injectable } from '@nestjs/common';
import type { AuditActor } from '../../audit/index.js';
import { actorOf, requireAdmin, type Principal } from '../../auth/index.js';
import { assertNames, notFound } from '../../domain/index.js';
import type { NamespaceView, PluginView } from './plugin.views.js';
import { PluginsRepository, type NamespaceRecord, type PluginRecord, type VersionRecord } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';

/** What the service needs of the namespaces' rows (PluginsRepository). */
export interface NamespaceStore {
  findNamespace(name: string): Promise<NamespaceRecord | null>;
  /** Creates the namespace unless it exists, and audits a creation as `actor`'s. */
  ensureNamespace(name: string, actor: AuditActor): Promise<{ namespace: NamespaceRecord; created: boolean }>;
  /** The namespace's plugins, each with its latest version only. */
  listNamespacePluginsWithLatest(namespace: string): Promise<{ plugin: PluginRecord; latest: VersionRecord | null }[]>;
}

/** How a plugin is shown (PluginsService). */
export interface PluginViews {
  pluginView(record: PluginRecord, versions: readonly VersionRecord[]): PluginView;
}

/** Namespaces (publishers): anyone may read one; only admins create them. */
@Injectable()
export class NamespacesService {
  constructor(
    @Inject(PluginsRepository) private readonly namespaces: NamespaceStore,
    @Inject(PluginsService) private readonly views: PluginViews,
  ) {}

  async getNamespace(name: string): Promise<NamespaceView> {
    assertNames({ 'path.namespace': name });
    const namespace = await this.namespaces.findNamespace(name);
    if (namespace === null) throw notFound('namespace_not_found', `no namespace named "${name}"`);
    const records = await this.namespaces.listNamespacePluginsWithLatest(name);
    const plugins = records.map(({ plugin, latest }) => this.views.pluginView(plugin, latest === null ? [] : [latest]));
    return { name: namespace.name, createdAt: namespace.createdAt.toISOString(), plugins };
  }

  /** Idempotent: `created` is false when the namespace already existed (nothing is audited then). */
  async createNamespace(principal: Principal, name: string): Promise<{ created: boolean; namespace: NamespaceView }> {
    requireAdmin(principal);
    assertNames({ 'path.namespace': name });
    const { created } = await this.namespaces.ensureNamespace(name, actorOf(principal));
    return { created, namespace: await this.getNamespace(name) };
  }
}
