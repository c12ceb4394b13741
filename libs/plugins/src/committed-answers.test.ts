import type { AdvisoriesRepository } from '../../advisories/index.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/index.js';
import { BlobStore } from '../../blobs/index.js';
import { loadConfig, type RegistryConfig } from '../../config/index.js';
import type { Invalidations } from '../../db/index.js';
import type { DownloadCounter, DownloadMarks, DownloadsRepository } from '../../downloads/index.js';
import type { OciRepository } from '../../oci/index.js';
import type { OutboxDispatcher } from '../../pipeline/index.js';
import type { VersionsRepository, VersionStore } from '../../versions/index.js';
import { FilesystemStorageDriver } from '../../storage/index.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { LifecycleController } from './lifecycle.controller.js';
import type { LifecycleRepository } from './lifecycle.repository.js';
import { LifecycleService } from './lifecycle.service.js';
import { NamespacesController } from './namespaces.controller.js';
import { NamespacesService } from './namespaces.service.js';
import { PluginsController } from './plugins.controller.js';
import type { PluginRecord, PluginsRepository, PublishTransaction, VersionRecord } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';
import { PublishService } from './publish.service.js';

/**
 * A change that committed is answered 2xx even when everything after the commit fails: the
 * read-back of the view, the kick of the outbox dispatcher. The database here "goes away" the
 * moment a transaction commits (as PostgreSQL stopping would), and every read after that throws.
 */
const admin: Principal = { tokenId: 'a', tokenName: 'admin', admin: true, namespaces: new Set() };

class DatabaseGone extends Error {
  constructor() {
    super("Can't reach database server");
  }
}

const at = new Date('2026-12-01T10:00:00Z');
const readyVersion: VersionRecord = {
  id: 'v1',
  namespace: 'acme',
  plugin: 'jwt',
  version: '1.0.0',
  digest: `sha256:${'a'.repeat(64)}`,
  size: 42,
  status: 'ready',
  statusReason: null,
  createdAt: at,
  readyAt: at,
  kind: 'core',
  abiVersion: null,
  analysisSummary: null,
  analyzedAt: null,
  yankedAt: null,
  yankReason: null,
  firstDownloadedAt: null,
  contract: null,
};
const plugin: PluginRecord = {
  id: 'p1',
  namespace: 'acme',
  name: 'jwt',
  description: 'JWT checks',
  license: null,
  homepage: null,
  repository: null,
  keywords: [],
  categories: [],
  downloads: 0n,
  deprecatedAt: null,
  deprecationMessage: null,
  createdAt: at,
  updatedAt: at,
} as unknown as PluginRecord;

describe('answers to committed changes', () => {
  let database: { up: boolean };
  let config: RegistryConfig;
  let root: string;
  let kicks: number;
  let kickFails: boolean;

  /** Every read fails once the database is gone; `reads` answers while it is up. */
  const gone = <T extends object>(reads: Partial<Record<string, (...args: never[]) => unknown>> = {}): T =>
    new Proxy({} as T, {
      get: (_target, name) => {
        if (name === 'then') return undefined;
        return async (...args: never[]) => {
          if (!database.up) throw new DatabaseGone();
          const read = reads[String(name)];
          if (read === undefined) throw new Error(`unexpected read ${String(name)}`);
          return read(...args);
        };
      },
    });

  const pluginsService = (): PluginsService =>
    new PluginsService(
      gone<PluginsRepository>(),
      gone<DownloadsRepository>(),
      gone<DownloadMarks>(),
      gone<VersionsRepository>(),
      gone<OciRepository>(),
      gone<AdvisoriesRepository>(),
      config,
      { subscribe: () => undefined, live: true } as unknown as Invalidations,
    );
  const dispatcher = {
    kick: () => {
      kicks += 1;
      if (kickFails) throw new Error('the dispatcher broke');
    },
  } as unknown as OutboxDispatcher;
  const reply = (): FastifyReply & { statusCode: number; headers: Record<string, string> } => {
    const r = {
      statusCode: 200,
      headers: {} as Record<string, string>,
      status(code: number) {
        r.statusCode = code;
        return r;
      },
      header(name: string, value: string) {
        r.headers[name] = value;
        return r;
      },
    };
    return r as unknown as FastifyReply & { statusCode: number; headers: Record<string, string> };
  };

  beforeEach(async () => {
    database = { up: true };
    kicks = 0;
    kickFails = false;
    root = await mkdtemp(join(tmpdir(), 'committed-answers-'));
    config = loadConfig({ DATA_DIR: root, PUBLIC_URL: 'https://registry.example' });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('answers a publish 202 with the version the transaction returned when the read-back and the dispatcher kick both fail', async () => {
    const repository = {
      findNamespace: async () => ({ id: 'acme', name: 'acme', createdAt: at }),
      findDeletedVersion: async () => null,
      transaction: async <T>(work: (tx: PublishTransaction) => Promise<T>): Promise<T> => {
        const tx = {
          findNamespace: async () => ({ id: 'acme', name: 'acme', createdAt: at }),
          lockExistingPlugin: async () => ({ id: 'p1' }),
          ensurePlugin: async () => ({ id: 'p1' }),
          versions: {
            lockVersion: async () => undefined,
            lockDigest: async () => undefined,
            findDeletedVersion: async () => null,
            findVersion: async () => null,
            mayAddVersion: async () => true,
            blobExists: async () => false,
            create: async (_actor: unknown, v: { version: string; digest: string; size: number }): Promise<VersionRecord> => ({
              ...readyVersion,
              version: v.version,
              digest: v.digest,
              size: v.size,
              status: 'pending',
              readyAt: null,
            }),
          },
        } as unknown as PublishTransaction;
        const result = await work(tx);
        database.up = false;
        return result;
      },
    } as unknown as PluginsRepository;
    kickFails = true;
    const publishing = new PublishService(repository, gone<VersionsRepository>(), dispatcher, new BlobStore(new FilesystemStorageDriver({ root })), config);
    const controller = new PluginsController(pluginsService(), publishing, {} as DownloadCounter, {} as never);
    const module = await proxyWasmFilter('committed');
    const request = { headers: { 'content-type': 'application/wasm', 'content-length': String(module.length) }, body: Readable.from([module]) } as unknown as FastifyRequest;
    const answer = reply();

    const view = await controller.publish(admin, 'acme', 'jwt', '2.0.0', request, answer);

    expect(kicks).toBe(1);
    expect(answer.statusCode).toBe(202);
    expect(answer.headers.location).toBe('https://registry.example/api/v1/plugins/acme/jwt/versions/2.0.0');
    expect(view).toMatchObject({ namespace: 'acme', plugin: 'jwt', version: '2.0.0', status: 'pending', size: module.length, downloads: 0, pinned: null });
    expect(view.pipeline.map((s) => [s.step, s.state])).toEqual([
      ['analysis', 'pending'],
      ['trial', 'pending'],
      ['sbom', 'pending'],
      ['signature', 'pending'],
    ]);
  });

  it('answers a retry with the version, now pending, when the read-back fails', async () => {
    const versions = {
      retry: async (): Promise<VersionRecord> => {
        database.up = false;
        return { ...readyVersion, status: 'pending', statusReason: null };
      },
    } as unknown as VersionStore;
    kickFails = true;
    const publishing = new PublishService({} as PluginsRepository, versions, dispatcher, {} as BlobStore, config);
    const controller = new PluginsController(pluginsService(), publishing, {} as DownloadCounter, {} as never);
    const view = await controller.retry(admin, 'acme', 'jwt', '1.0.0');
    expect(view).toMatchObject({ version: '1.0.0', status: 'pending', statusReason: null });
  });

  it('answers a metadata change with the plugin the transaction returned when the read-back fails', async () => {
    const repository = {
      findNamespace: async () => ({ id: 'acme', name: 'acme', createdAt: at }),
      savePlugin: async () => {
        database.up = false;
        return { plugin: { ...plugin, description: 'new words' }, created: false };
      },
    } as unknown as PluginsRepository;
    const publishing = new PublishService(repository, gone<VersionsRepository>(), dispatcher, {} as BlobStore, config);
    const controller = new PluginsController(pluginsService(), publishing, {} as DownloadCounter, {} as never);
    const answer = reply();
    const view = await controller.savePlugin(admin, 'acme', 'jwt', { description: 'new words' }, answer);
    expect(answer.statusCode).toBe(200);
    expect(view).toMatchObject({ namespace: 'acme', name: 'jwt', description: 'new words' });
  });

  describe('lifecycle', () => {
    const lifecycleController = (): LifecycleController => {
      const lifecycle = {
        setDeprecated: async () => {
          database.up = false;
          return true;
        },
      } as unknown as LifecycleRepository;
      const versions = {
        // The owner answers the version as the change committed it.
        setYanked: async (_key: unknown, yank: { reason: string } | null): Promise<VersionRecord> => {
          database.up = false;
          return { ...readyVersion, yankedAt: yank === null ? null : at, yankReason: yank?.reason ?? null };
        },
      } as unknown as VersionStore;
      const repository = gone<PluginsRepository>({ findPlugin: () => plugin });
      return new LifecycleController(new LifecycleService(lifecycle, versions, repository, {} as BlobStore), pluginsService());
    };

    it('answers a yank 200 with the version yanked, and an un-yank with it un-yanked, when the read-back fails', async () => {
      const yanked = await lifecycleController().yank(admin, 'acme', 'jwt', '1.0.0', { reason: 'CVE-2026-1' });
      expect(yanked).toMatchObject({ version: '1.0.0', status: 'ready', yanked: true, yankReason: 'CVE-2026-1' });
      database.up = true;
      const unyanked = await lifecycleController().unyank(admin, 'acme', 'jwt', '1.0.0');
      expect(unyanked).toMatchObject({ version: '1.0.0', yanked: false, yankReason: null });
    });

    it('answers a deprecation with the plugin deprecated, and an undeprecation with it not, when the read-back fails', async () => {
      const deprecated = await lifecycleController().deprecate(admin, 'acme', 'jwt', { message: 'use acme/jwt2' });
      expect(deprecated.deprecation).toMatchObject({ message: 'use acme/jwt2' });
      database.up = true;
      const undeprecated = await lifecycleController().undeprecate(admin, 'acme', 'jwt');
      expect(undeprecated.deprecation).toBeNull();
    });
  });

  it('answers a new namespace 201 with the namespace the transaction returned when the read-back fails', async () => {
    const repository = gone<PluginsRepository>({
      ensureNamespace: async (name: string) => {
        database.up = false;
        return { namespace: { id: 'n1', name, createdAt: at }, created: true };
      },
    });
    const controller = new NamespacesController(new NamespacesService(repository, pluginsService()));
    const answer = reply();
    const view = await controller.createNamespace(admin, 'globex', answer);
    expect(answer.statusCode).toBe(201);
    expect(view).toEqual({ name: 'globex', createdAt: at.toISOString(), plugins: [] });
  });

  it('still fails a request whose change did not commit', async () => {
    const versions = { setYanked: async () => Promise.reject(new DatabaseGone()) } as unknown as VersionStore;
    const repository = gone<PluginsRepository>({ findVersion: () => readyVersion });
    const controller = new LifecycleController(new LifecycleService({} as LifecycleRepository, versions, repository, {} as BlobStore), pluginsService());
    await expect(controller.yank(admin, 'acme', 'jwt', '1.0.0', {})).rejects.toBeInstanceOf(DatabaseGone);
  });
});
