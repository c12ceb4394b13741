import type { AuditActor } from '../../audit/index.js';
import type { NamespaceStore, PluginViews } from '../src/namespaces.service.js';
import type { PluginView } from '../src/plugin.views.js';
import type { NamespaceRecord, PluginRecord, VersionRecord } from '../src/plugins.repository.js';

/** Namespaces and their plugins in memory; records who created what. */
export class FakeNamespaceStore implements NamespaceStore {
  readonly namespaces = new Map<string, NamespaceRecord>();
  readonly plugins: { plugin: PluginRecord; latest: VersionRecord | null }[] = [];
  readonly created: { name: string; actor: AuditActor }[] = [];

  addNamespace(name: string): this {
    this.namespaces.set(name, { id: `ns-${name}`, name, createdAt: new Date('2026-01-01T00:00:00Z') });
    return this;
  }

  addPlugin(namespace: string, name: string, latest: string | null): this {
    const plugin = { id: `${namespace}/${name}`, namespace, name } as PluginRecord;
    const version = latest === null ? null : ({ id: `${namespace}/${name}@${latest}`, namespace, plugin: name, version: latest } as VersionRecord);
    this.plugins.push({ plugin, latest: version });
    return this;
  }

  async findNamespace(name: string): Promise<NamespaceRecord | null> {
    return this.namespaces.get(name) ?? null;
  }

  async ensureNamespace(name: string, actor: AuditActor): Promise<{ namespace: NamespaceRecord; created: boolean }> {
    const existing = this.namespaces.get(name);
    if (existing !== undefined) return { namespace: existing, created: false };
    this.addNamespace(name);
    this.created.push({ name, actor });
    return { namespace: this.namespaces.get(name)!, created: true };
  }

  async listNamespacePluginsWithLatest(namespace: string): Promise<{ plugin: PluginRecord; latest: VersionRecord | null }[]> {
    return this.plugins.filter((p) => p.plugin.namespace === namespace);
  }
}

/** Shows a plugin as its name and the versions it was shown with. */
export const fakePluginViews: PluginViews = {
  pluginView: (record, versions) => ({ namespace: record.namespace, name: record.name, latestVersion: versions.map((v) => v.version).join(',') || null }) as PluginView,
};
