import { describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/index.js';
import type { RegistryError } from '../../domain/index.js';
import type { VersionCoordinates, DeletedVersion, VersionRecord, VersionRefusal, VersionStore } from '../../versions/index.js';
import { LifecycleService } from './lifecycle.service.js';

/** What the owner answers, chosen per test; every call recorded. */
class FakeVersions implements Pick<VersionStore, 'setYanked' | 'delete' | 'removeObjectUnlessRecorded'> {
  calls: unknown[][] = [];
  yankAnswer: VersionRefusal | null = null;
  deleteAnswer: DeletedVersion | VersionRefusal = { digest: 'sha256:aa', blobOrphaned: true };
  recorded = new Set<string>();

  async setYanked(version: VersionCoordinates, yank: { reason: string; advisoryId: string | null } | null) {
    this.calls.push(['setYanked', version, yank]);
    // The owner answers the version as committed when it does not refuse.
    return this.yankAnswer ?? ({ ...version, yankedAt: yank === null ? null : new Date(), yankReason: yank?.reason ?? null } as unknown as VersionRecord);
  }
  async delete(version: VersionCoordinates) {
    this.calls.push(['delete', version]);
    return this.deleteAnswer;
  }
  async removeObjectUnlessRecorded(digest: string, remove: () => Promise<void>) {
    if (!this.recorded.has(digest)) await remove();
  }
}

const admin: Principal = { tokenId: 'a', tokenName: 'admin', admin: true, namespaces: new Set() };
const acme: Principal = { tokenId: 't', tokenName: 'acme CI', admin: false, namespaces: new Set(['acme']) };
const key = { namespace: 'acme', plugin: 'jwt', version: '1.0.0' };

function service(versions: FakeVersions, pluginExists = true) {
  const removed: string[] = [];
  const lifecycle = new LifecycleService(
    { setDeprecated: async () => true },
    versions,
    { findPlugin: async () => (pluginExists ? ({ id: 'p' } as never) : null) },
    { remove: async (digest: string) => void removed.push(digest) },
  );
  return { lifecycle, removed };
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as RegistryError);

describe('LifecycleService', () => {
  it('yanks with the reason given, and un-yanks, for a publisher of the namespace', async () => {
    const versions = new FakeVersions();
    const { lifecycle } = service(versions);
    await lifecycle.yank(acme, key, { reason: 'CVE-2026-1' });
    await lifecycle.yank(acme, key, { reason: 'see the advisory', advisory: 'WPR-2345-6789-cfgh' });
    await lifecycle.unyank(acme, key);
    expect(versions.calls).toEqual([
      ['setYanked', key, { reason: 'CVE-2026-1', advisoryId: null }],
      ['setYanked', key, { reason: 'see the advisory', advisoryId: 'WPR-2345-6789-cfgh' }],
      ['setYanked', key, null],
    ]);
  });

  it('refuses other namespaces (403) and bad input (400) before asking the owner', async () => {
    const versions = new FakeVersions();
    const { lifecycle } = service(versions);
    expect((await refusal(lifecycle.yank(acme, { ...key, namespace: 'other' }, {})))?.status).toBe(403);
    expect((await refusal(lifecycle.yank(acme, { ...key, version: 'one' }, {})))?.status).toBe(400);
    expect((await refusal(lifecycle.yank(acme, key, { reason: 'x'.repeat(501) })))?.status).toBe(400);
    expect(await refusal(lifecycle.yank(acme, key, { advisory: 'CVE-2026-1' }))).toMatchObject({ status: 400, extensions: { errors: [{ field: 'body.advisory' }] } });
    expect(versions.calls).toEqual([]);
  });

  it('yanks only ready versions (409 version_not_ready) and tells a missing plugin from a missing version', async () => {
    const versions = new FakeVersions();
    versions.yankAnswer = 'not_ready';
    expect(await refusal(service(versions).lifecycle.yank(acme, key, {}))).toMatchObject({ status: 409, code: 'version_not_ready' });
    versions.yankAnswer = 'not_found';
    expect(await refusal(service(versions).lifecycle.yank(acme, key, {}))).toMatchObject({ status: 404, code: 'version_not_found' });
    expect(await refusal(service(versions, false).lifecycle.yank(acme, key, {}))).toMatchObject({ status: 404, code: 'plugin_not_found' });
  });

  it('never deletes a downloaded version (409 version_in_use, pointing at yank) or a pending one (409 version_pending)', async () => {
    const versions = new FakeVersions();
    versions.deleteAnswer = 'downloaded';
    const inUse = await refusal(service(versions).lifecycle.deleteVersion(admin, key));
    expect(inUse).toMatchObject({ status: 409, code: 'version_in_use' });
    expect(inUse?.detail).toContain('Yank it instead');
    versions.deleteAnswer = 'pending';
    expect(await refusal(service(versions).lifecycle.deleteVersion(admin, key))).toMatchObject({ status: 409, code: 'version_pending' });
  });

  it('removes the module of a deleted version when no other version uses it, and only then', async () => {
    const versions = new FakeVersions();
    const orphaned = service(versions);
    await orphaned.lifecycle.deleteVersion(admin, key);
    expect(orphaned.removed).toEqual(['sha256:aa']);

    versions.deleteAnswer = { digest: 'sha256:bb', blobOrphaned: false };
    const shared = service(versions);
    await shared.lifecycle.deleteVersion(admin, key);
    expect(shared.removed).toEqual([]);

    // Orphaned by the delete, but published again meanwhile: a blob row points at it again.
    versions.deleteAnswer = { digest: 'sha256:cc', blobOrphaned: true };
    versions.recorded.add('sha256:cc');
    const republished = service(versions);
    await republished.lifecycle.deleteVersion(admin, key);
    expect(republished.removed).toEqual([]);
  });
});
