import { describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/index.js';
import { RegistryError } from '../../domain/index.js';
import { FakeNamespaceStore, fakePluginViews } from '../test/namespaces.fake.js';
import { NamespacesService } from './namespaces.service.js';

const admin: Principal = { tokenId: '0b7e6f2a-5c1d-4e3f-8a9b-1c2d3e4f5a6b', tokenName: 'ops', admin: true, namespaces: new Set() };
const publisher: Principal = { tokenId: '7b0c3f5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', tokenName: 'ci', admin: false, namespaces: new Set(['acme']) };

function newTestService() {
  const store = new FakeNamespaceStore();
  return { service: new NamespacesService(store, fakePluginViews), store };
}

async function refusal(work: Promise<unknown>): Promise<RegistryError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe('NamespacesService', () => {
  it('shows a namespace with each of its plugins and only their latest version', async () => {
    const { service, store } = newTestService();
    store.addNamespace('acme').addNamespace('other').addPlugin('acme', 'jwt', '1.2.0').addPlugin('acme', 'draft', null).addPlugin('other', 'rate', '1.0.0');
    expect(await service.getNamespace('acme')).toEqual({
      name: 'acme',
      createdAt: '2026-01-01T00:00:00.000Z',
      plugins: [
        { namespace: 'acme', name: 'jwt', latestVersion: '1.2.0' },
        { namespace: 'acme', name: 'draft', latestVersion: null },
      ],
    });
  });

  it('an unknown namespace is a 404, a malformed name a 400', async () => {
    const { service } = newTestService();
    expect(await refusal(service.getNamespace('nowhere'))).toMatchObject({ status: 404, code: 'namespace_not_found' });
    expect(await refusal(service.getNamespace('Not_A_Name'))).toMatchObject({ status: 400, code: 'invalid_input' });
  });

  it('only an admin creates a namespace', async () => {
    const { service, store } = newTestService();
    expect(await refusal(service.createNamespace(publisher, 'acme'))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(store.namespaces.size).toBe(0);
  });

  it('creates a namespace once, as the admin who asked; asking again is no change', async () => {
    const { service, store } = newTestService();
    const first = await service.createNamespace(admin, 'acme');
    expect(first).toMatchObject({ created: true, namespace: { name: 'acme', plugins: [] } });
    expect(store.created).toEqual([{ name: 'acme', actor: { name: 'ops', tokenId: admin.tokenId } }]);
    expect(await service.createNamespace(admin, 'acme')).toMatchObject({ created: false, namespace: { name: 'acme' } });
    expect(store.created).toHaveLength(1);
  });

  it('refuses a malformed name before creating anything', async () => {
    const { service, store } = newTestService();
    expect(await refusal(service.createNamespace(admin, '-acme'))).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(store.namespaces.size).toBe(0);
  });
});
