import { describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/index.js';
import { RegistryError } from '../../domain/index.js';
import { FakeAuditLog } from '../test/audit-log.fake.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AuditService } from './audit.service.js';

const admin: Principal = { tokenId: 'env:REGISTRY_ADMIN_TOKEN', tokenName: 'REGISTRY_ADMIN_TOKEN', admin: true, namespaces: new Set() };
const publisher: Principal = { tokenId: '7b0c3f5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', tokenName: 'ci', admin: false, namespaces: new Set(['acme']) };

function newTestService(events = 0) {
  const log = new FakeAuditLog();
  for (let i = 0; i < events; i++) log.append({ action: i % 2 === 0 ? 'version.published' : 'version.ready', namespace: 'acme', plugin: 'jwt', version: `1.0.${i}` });
  return { service: new AuditService(log), log };
}

async function refusal(work: Promise<unknown>): Promise<RegistryError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

const fields = (error: RegistryError): string[] => (error.extensions.errors as { field: string }[]).map((p) => p.field);

describe('AuditService', () => {
  it('shows the log to admins only: it names every token and namespace that changed anything', async () => {
    const { service, log } = newTestService(3);
    expect(await refusal(service.list(publisher, {}))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(log.asked).toEqual([]);
  });

  it(`pages by ${AUDIT_PAGE_DEFAULT} by default, newest first, with a cursor to the older events`, async () => {
    const { service } = newTestService(AUDIT_PAGE_DEFAULT + 5);
    const first = await service.list(admin, {});
    expect(first.items).toHaveLength(AUDIT_PAGE_DEFAULT);
    expect(first.items[0]!.id).toBe(String(AUDIT_PAGE_DEFAULT + 5));
    expect(first.nextCursor).toBe(first.items.at(-1)!.id);
    const second = await service.list(admin, { cursor: first.nextCursor! });
    expect(second.items.map((e) => e.id)).toEqual(['5', '4', '3', '2', '1']);
    expect(second.nextCursor).toBeNull();
  });

  it('has no next page when the last page is exactly full', async () => {
    const { service } = newTestService(4);
    const page = await service.list(admin, { limit: '4' });
    expect(page.items).toHaveLength(4);
    expect(page.nextCursor).toBeNull();
  });

  it(`refuses a limit outside 1-${AUDIT_PAGE_MAX}, and never asks the log for more than a page and one`, async () => {
    const { service, log } = newTestService(3);
    for (const limit of ['0', String(AUDIT_PAGE_MAX + 1), '1.5', 'ten']) {
      expect(fields(await refusal(service.list(admin, { limit }))), limit).toEqual(['query.limit']);
    }
    await service.list(admin, { limit: String(AUDIT_PAGE_MAX) });
    expect(log.asked.map((f) => f.limit)).toEqual([AUDIT_PAGE_MAX + 1]);
  });

  it('refuses a cursor it did not hand out (not a number, or past PostgreSQL\'s bigint)', async () => {
    const { service, log } = newTestService(3);
    for (const cursor of ['abc', '-1', '9223372036854775808', '1'.repeat(20)]) {
      expect(fields(await refusal(service.list(admin, { cursor }))), cursor).toEqual(['query.cursor']);
    }
    await service.list(admin, { cursor: '9223372036854775807' });
    expect(log.asked).toHaveLength(1);
  });

  it('filters by action, namespace and plugin, and refuses an unknown action or a malformed name, naming each field', async () => {
    const { service, log } = newTestService(6);
    const ready = await service.list(admin, { action: 'version.ready', namespace: 'acme', plugin: 'jwt' });
    expect(ready.items.map((e) => e.action)).toEqual(['version.ready', 'version.ready', 'version.ready']);
    expect(log.asked[0]).toMatchObject({ action: 'version.ready', namespace: 'acme', plugin: 'jwt' });
    const refused = await refusal(service.list(admin, { action: 'version.exploded', namespace: 'Not A Name', plugin: '../x' }));
    expect(fields(refused)).toEqual(['query.action', 'query.namespace', 'query.plugin']);
    expect(log.asked).toHaveLength(1);
  });

  it('shows ids as strings and times as RFC 3339', async () => {
    const { service } = newTestService(1);
    const [event] = (await service.list(admin, {})).items;
    expect(event).toMatchObject({ id: '1', at: '1970-01-01T00:00:01.000Z', action: 'version.published', version: '1.0.0' });
  });
});
