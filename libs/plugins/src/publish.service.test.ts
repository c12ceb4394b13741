import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/index.js';
import { BlobStore } from '../../blobs/index.js';
import { loadConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';
import { FilesystemStorageDriver } from '../../storage/index.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import type { VersionRecord, VersionStore } from '../../versions/index.js';
import type { PluginsRepository, PublishTransaction } from './plugins.repository.js';
import { NO_PUBLISH_PARTS, PublishService, type PublishRequest } from './publish.service.js';
import type { ContractsService } from './contracts.service.js';
import type { OutboxDispatcher } from '../../pipeline/index.js';

/**
 * The publish rules with the database replaced by an in-memory stand-in and
 * real storage on disk: what must hold when the database step fails.
 */
class FakePlugins {
  namespaces = new Set<string>(['acme']);
  versions = new Map<string, VersionRecord>();
  blobs = new Set<string>();
  /** Burned numbers, by `namespace/plugin@version`. */
  deleted = new Map<string, { digest: string; deletedAt: Date }>();
  /** A number burned by a delete that commits while the module is being uploaded. */
  deletedDuringUpload: string | null = null;
  failInsertVersion: Error | null = null;
  /** Attempts the owner's retrying transaction loses to a deadlock, after the work ran (rolled back, run again). */
  deadlocks = 0;
  /** Fails the attempt after the deadlocks with this error. */
  failAfterDeadlocks: Error | null = null;

  async findNamespace(name: string) {
    return this.namespaces.has(name) ? { id: name, name, createdAt: new Date() } : null;
  }

  async findDeletedVersion(namespace: string, plugin: string, version: string) {
    return this.deleted.get(`${namespace}/${plugin}@${version}`) ?? null;
  }

  async transaction<T>(work: (tx: PublishTransaction) => Promise<T>): Promise<T> {
    for (;;) {
      const result = await this.attempt(work);
      if (this.deadlocks === 0) return result;
      // Lost to a deadlock: nothing staged commits, and the owner runs the work again.
      this.deadlocks--;
      if (this.deadlocks === 0 && this.failAfterDeadlocks !== null) this.failInsertVersion = this.failAfterDeadlocks;
    }
  }

  private async attempt<T>(work: (tx: PublishTransaction) => Promise<T>): Promise<T> {
    const staged = { blobs: new Set(this.blobs), versions: new Map(this.versions), namespaces: new Set(this.namespaces) };
    if (this.deletedDuringUpload !== null) this.deleted.set(this.deletedDuringUpload, { digest: 'sha256:old', deletedAt: new Date('2026-11-30T10:00:00Z') });
    const versions = {
      lockVersion: async () => undefined,
      lockDigest: async () => undefined,
      findDeletedVersion: async (pluginId: string, version: string) => this.deleted.get(`${pluginId}@${version}`) ?? null,
      mayAddVersion: async (pluginId: string, max: number) => [...staged.versions.keys()].filter((key) => key.startsWith(`${pluginId}@`)).length < max,
      findVersion: async (pluginId: string, version: string) => staged.versions.get(`${pluginId}@${version}`) ?? null,
      blobExists: async (digest: string) => staged.blobs.has(digest),
      create: async (_actor: unknown, v: { pluginId: string; version: string; digest: string; size: number }) => {
        staged.blobs.add(v.digest);
        if (this.failInsertVersion) throw this.failInsertVersion;
        const [namespace, plugin] = v.pluginId.split('/') as [string, string];
        const record = { id: `${v.pluginId}@${v.version}`, namespace, plugin, version: v.version, digest: v.digest, size: v.size, status: 'pending', statusReason: null, createdAt: new Date(), readyAt: null } as VersionRecord;
        staged.versions.set(`${v.pluginId}@${v.version}`, record);
        return record;
      },
    };
    const tx = {
      versions,
      findNamespace: async (name: string) => (staged.namespaces.has(name) ? { id: name, name, createdAt: new Date() } : null),
      createNamespace: async (name: string) => (staged.namespaces.add(name), { id: name, name, createdAt: new Date() }),
      ensurePlugin: async (namespace: { id: string }, name: string) => ({ id: `${namespace.id}/${name}` }),
      lockExistingPlugin: async (namespace: { id: string }, name: string) =>
        [...staged.versions.keys()].some((key) => key.startsWith(`${namespace.id}/${name}@`)) ? { id: `${namespace.id}/${name}` } : null,
      mayAddPlugin: async (namespace: { id: string }, max: number) =>
        new Set([...staged.versions.keys()].filter((key) => key.startsWith(`${namespace.id}/`)).map((key) => key.split('@')[0])).size < max,
    } as unknown as PublishTransaction;
    const result = await work(tx);
    if (this.deadlocks > 0) return result;
    // Commit only when the work succeeded.
    this.blobs = staged.blobs;
    this.versions = staged.versions;
    this.namespaces = staged.namespaces;
    return result;
  }
}

/** The owner's removal of an object no blob row points at, against the fake's committed blobs. */
const versionsOf = (plugins: FakePlugins) =>
  ({
    removeObjectUnlessRecorded: async (digest: string, remove: () => Promise<void>) => {
      if (!plugins.blobs.has(digest)) await remove();
    },
  }) as unknown as VersionStore;

/** The body of an application/wasm publish, as the controller hands it over. */
const wasm = (body: Readable, declaredLength: number | null): PublishRequest => ({
  declaredLength,
  read: async (receiveModule) => {
    await receiveModule(body);
    return NO_PUBLISH_PARTS;
  },
});

/** These tests publish bare modules: a contract to check would be a mistake. */
const noContracts = { prepare: () => Promise.reject(new Error('no contract was sent')) } as unknown as ContractsService;

const admin: Principal = { tokenId: 'a', tokenName: 'admin', admin: true, namespaces: new Set() };
const acmeOnly: Principal = { tokenId: 't', tokenName: 'acme CI', admin: false, namespaces: new Set(['acme']) };

describe('PublishService', () => {
  let root: string;
  let plugins: FakePlugins;
  let enqueued: string[];
  let service: PublishService;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'publish-service-'));
    plugins = new FakePlugins();
    enqueued = [];
    const dispatcher = { kick: () => enqueued.push('kick') } as unknown as OutboxDispatcher;
    const config = loadConfig({ DATA_DIR: root, MAX_MODULE_SIZE: '4096' });
    service = new PublishService(
      plugins as unknown as PluginsRepository,
      versionsOf(plugins),
      dispatcher,
      new BlobStore(new FilesystemStorageDriver({ root })),
      config,
      noContracts,
    );
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const storedFiles = async () => (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
  const target = { namespace: 'acme', plugin: 'jwt', version: '1.0.0' };

  it('stores the blob, records the version and wakes the outbox dispatcher', async () => {
    const module = await proxyWasmFilter('a');
    const result = await service.publish(admin, target, wasm(Readable.from([module]), module.length));
    expect(result.created).toBe(true);
    expect(enqueued).toEqual(['kick']);
    expect(await storedFiles()).toBe(1);
  });

  it('removes the object it stored when recording the version fails', async () => {
    plugins.failInsertVersion = new Error('database went away');
    const module = await proxyWasmFilter('b');
    await expect(service.publish(admin, target, wasm(Readable.from([module]), module.length))).rejects.toThrow('database went away');
    expect(await storedFiles()).toBe(0);
    expect(plugins.versions.size).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it('keeps an object that an earlier version already recorded, even when a later publish of it fails', async () => {
    const module = await proxyWasmFilter('c');
    await service.publish(admin, target, wasm(Readable.from([module]), module.length));
    plugins.failInsertVersion = new Error('database went away');
    await expect(service.publish(admin, { ...target, version: '1.0.1' }, wasm(Readable.from([module]), module.length))).rejects.toThrow();
    expect(await storedFiles()).toBe(1);
  });

  it('refuses a version past the quota with 409 quota_exceeded, and removes the object it stored', async () => {
    const quoted = new PublishService(
      plugins as unknown as PluginsRepository,
      versionsOf(plugins),
      { kick: () => enqueued.push('kick') } as unknown as OutboxDispatcher,
      new BlobStore(new FilesystemStorageDriver({ root })),
      loadConfig({ DATA_DIR: root, MAX_MODULE_SIZE: '4096', MAX_VERSIONS_PER_PLUGIN: '1' }),
      noContracts,
    );
    const first = await proxyWasmFilter('q1');
    await quoted.publish(admin, target, wasm(Readable.from([first]), first.length));
    const second = await proxyWasmFilter('q2');
    const refused = await quoted.publish(admin, { ...target, version: '1.0.1' }, wasm(Readable.from([second]), second.length)).then(
      () => null,
      (e: unknown) => e as RegistryError,
    );
    expect([refused?.status, refused?.code, refused?.extensions]).toEqual([409, 'quota_exceeded', { quota: 'versions_per_plugin', limit: 1 }]);
    expect(await storedFiles()).toBe(1);
    expect([...plugins.versions.keys()]).toEqual(['acme/jwt@1.0.0']);
  });

  it('refuses before reading the body: other namespaces (403), missing namespaces for non-admins (404), declared oversize (413)', async () => {
    const untouched = Readable.from([Buffer.from('never read')]);
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as RegistryError);
    expect((await refusal(service.publish(acmeOnly, { ...target, namespace: 'other' }, wasm(untouched, null))))?.status).toBe(403);
    const ghost: Principal = { ...acmeOnly, namespaces: new Set(['ghost']) };
    expect((await refusal(service.publish(ghost, { ...target, namespace: 'ghost' }, wasm(untouched, null))))?.code).toBe('namespace_not_found');
    expect((await refusal(service.publish(acmeOnly, target, wasm(untouched, 5000))))?.status).toBe(413);
    expect(untouched.readableDidRead).toBe(false);
    expect(await storedFiles()).toBe(0);
  });

  it('never reuses a deleted version number: 409 version_deleted before the body is read, and under the lock', async () => {
    plugins.deleted.set('acme/jwt@1.0.0', { digest: 'sha256:old', deletedAt: new Date('2026-11-30T10:00:00Z') });
    const untouched = Readable.from([Buffer.from('never read')]);
    const refused = await service.publish(acmeOnly, target, wasm(untouched, null)).catch((e: unknown) => e as RegistryError);
    expect(refused).toMatchObject({ status: 409, code: 'version_deleted', extensions: { deletedAt: '2026-11-30T10:00:00.000Z' } });
    expect((refused as RegistryError).detail).toContain('never reused');
    expect(untouched.readableDidRead).toBe(false);

    // Deleted while this publish was uploading: the transaction refuses it, and keeps nothing.
    plugins.deletedDuringUpload = 'acme/jwt@2.0.0';
    const module = await proxyWasmFilter('late');
    const late = await service.publish(admin, { ...target, version: '2.0.0' }, wasm(Readable.from([module]), module.length)).catch((e: unknown) => e as RegistryError);
    expect(late).toMatchObject({ status: 409, code: 'version_deleted' });
    expect(plugins.versions.size).toBe(0);
    expect(await storedFiles()).toBe(0);
  });

  it('keeps the object when the transaction is run again after a deadlock, and records the version once', async () => {
    plugins.deadlocks = 1;
    const module = await proxyWasmFilter('deadlock');
    const result = await service.publish(admin, target, wasm(Readable.from([module]), module.length));
    expect(result.created).toBe(true);
    expect([...plugins.versions.keys()]).toEqual(['acme/jwt@1.0.0']);
    expect(await storedFiles()).toBe(1);
  });

  it('removes the object it stored when the attempt after a deadlock fails', async () => {
    plugins.deadlocks = 1;
    plugins.failAfterDeadlocks = new Error('database went away');
    const module = await proxyWasmFilter('deadlock-then-gone');
    await expect(service.publish(admin, target, wasm(Readable.from([module]), module.length))).rejects.toThrow('database went away');
    expect(plugins.versions.size).toBe(0);
    expect(await storedFiles()).toBe(0);
  });

  it('retries any version that is not ready and wakes the dispatcher; a ready one is 409 version_not_failed', async () => {
    const answers: Record<string, unknown> = { '1.0.0': { ...target, status: 'pending' }, '2.0.0': 'ready', '3.0.0': 'not_found' };
    const retrying = new PublishService(
      plugins as unknown as PluginsRepository,
      { retry: async (v: { version: string }) => answers[v.version] } as unknown as VersionStore,
      { kick: () => enqueued.push('kick') } as unknown as OutboxDispatcher,
      new BlobStore(new FilesystemStorageDriver({ root })),
      loadConfig({ DATA_DIR: root }),
    );
    expect(await retrying.retry(admin, target)).toMatchObject({ status: 'pending' });
    expect(enqueued).toEqual(['kick']);
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as RegistryError);
    expect(await refusal(retrying.retry(admin, { ...target, version: '2.0.0' }))).toMatchObject({ status: 409, code: 'version_not_failed' });
    expect(await refusal(retrying.retry(admin, { ...target, version: '3.0.0' }))).toMatchObject({ status: 404, code: 'version_not_found' });
    expect(enqueued).toEqual(['kick']);
  });

  it('refuses a malformed version path on retry with 400 naming the field, before asking the owner', async () => {
    let asked = false;
    const retrying = new PublishService(
      plugins as unknown as PluginsRepository,
      { retry: async () => ((asked = true), 'not_found') } as unknown as VersionStore,
      { kick: () => undefined } as unknown as OutboxDispatcher,
      new BlobStore(new FilesystemStorageDriver({ root })),
      loadConfig({ DATA_DIR: root }),
    );
    const error = await retrying.retry(admin, { ...target, version: 'not-a-version' }).then(() => null, (e: unknown) => e as RegistryError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(JSON.stringify(error?.extensions)).toContain('path.version');
    expect(asked).toBe(false);
  });
});
