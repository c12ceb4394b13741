import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';
import { FakeTokenStore } from '../test/tokens.fake.js';
import type { Principal } from '../../auth/index.js';
import { hashTokenSecret } from './token-secret.js';
import { TokensService, type TokenRequest } from './tokens.service.js';

const ADMIN_SECRET = 'wpr_environment-admin-secret';

function newTestService(env: Record<string, string> = { REGISTRY_ADMIN_TOKEN: ADMIN_SECRET }) {
  const store = new FakeTokenStore();
  return { service: new TokensService(store, loadConfig(env)), store };
}

const admin: Principal = { tokenId: 'env:REGISTRY_ADMIN_TOKEN', tokenName: 'REGISTRY_ADMIN_TOKEN', admin: true, namespaces: new Set() };
const publisher: Principal = { tokenId: '7b0c3f5e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', tokenName: 'ci', admin: false, namespaces: new Set(['acme']) };
const request = (overrides: Partial<TokenRequest> = {}): TokenRequest => ({ name: 'ci', namespaces: ['acme'], admin: false, expiresAt: null, ...overrides });

async function refusal(work: Promise<unknown>): Promise<{ status: number; code: string; extensions: Readonly<Record<string, unknown>> }> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe('TokensService', () => {
  describe('who may issue, list and revoke tokens', () => {
    it('only an admin issues tokens: a publisher token cannot mint another', async () => {
      const { service, store } = newTestService();
      expect(await refusal(service.issue(publisher, request()))).toMatchObject({ status: 403, code: 'forbidden' });
      expect(store.rows.size).toBe(0);
    });

    it('only an admin lists tokens', async () => {
      const { service } = newTestService();
      expect(await refusal(service.list(publisher))).toMatchObject({ status: 403, code: 'forbidden' });
    });

    it('only an admin revokes tokens, even its own', async () => {
      const { service, store } = newTestService();
      const { token } = await service.issue(admin, request());
      expect(await refusal(service.revoke({ ...publisher, tokenId: token.id }, token.id))).toMatchObject({ status: 403 });
      expect((await store.list())[0]!.revokedAt).toBeNull();
    });

    it('a token that is not admin needs at least one namespace, and only existing ones', async () => {
      const { service, store } = newTestService();
      expect(await refusal(service.issue(admin, request({ namespaces: [] })))).toMatchObject({ status: 400, code: 'invalid_input' });
      expect(await refusal(service.issue(admin, request({ namespaces: ['acme', 'nowhere'] })))).toMatchObject({
        status: 404,
        code: 'namespace_not_found',
        extensions: { missing: ['nowhere'] },
      });
      expect(store.rows.size).toBe(0);
    });

    it('an admin token needs no namespace', async () => {
      const { service } = newTestService();
      const { token } = await service.issue(admin, request({ admin: true, namespaces: [] }));
      expect(token.admin).toBe(true);
    });

    it('records the issuer and the revoker as the actors of their audit events', async () => {
      const { service, store } = newTestService();
      const { token } = await service.issue(admin, request());
      await service.revoke(admin, token.id);
      expect(store.audited.map((a) => [a.action, a.actor.name])).toEqual([
        ['token.issued', 'REGISTRY_ADMIN_TOKEN'],
        ['token.revoked', 'REGISTRY_ADMIN_TOKEN'],
      ]);
    });

    it('revoking an unknown or malformed id is a 404', async () => {
      const { service } = newTestService();
      expect(await refusal(service.revoke(admin, 'not-a-uuid'))).toMatchObject({ status: 404, code: 'token_not_found' });
      expect(await refusal(service.revoke(admin, '00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404, code: 'token_not_found' });
    });
  });

  describe('secrets', () => {
    it('returns the secret once, when issued, and stores only its hash', async () => {
      const { service, store } = newTestService();
      const { token, secret } = await service.issue(admin, request());
      const [row] = [...store.rows.values()];
      expect(row!.tokenHash).toBe(hashTokenSecret(secret));
      expect(JSON.stringify([...store.rows.values()])).not.toContain(secret);
      // Nothing read back later carries it: not the list, not the revoked token.
      expect(JSON.stringify(await service.list(admin))).not.toContain(secret);
      expect(JSON.stringify(await service.revoke(admin, token.id))).not.toContain(secret);
      expect(token.tokenPrefix).toBe(secret.slice(0, token.tokenPrefix.length));
      expect(token.tokenPrefix.length).toBeLessThan(secret.length / 2);
    });

    it('each issue makes a new secret', async () => {
      const { service } = newTestService();
      const first = await service.issue(admin, request());
      const second = await service.issue(admin, request());
      expect(first.secret).not.toBe(second.secret);
    });
  });

  describe('authentication', () => {
    it('a secret that was issued authenticates as its token, with its namespaces', async () => {
      const { service } = newTestService();
      const { token, secret } = await service.issue(admin, request());
      expect(await service.authenticate(`Bearer ${secret}`)).toEqual({ tokenId: token.id, tokenName: 'ci', admin: false, namespaces: new Set(['acme']) });
    });

    it('no Authorization header is anonymous; a malformed or unknown one is a 401', async () => {
      const { service } = newTestService();
      expect(await service.authenticate(undefined)).toBeNull();
      expect(await refusal(service.authenticate('Basic abc'))).toMatchObject({ status: 401 });
      expect(await refusal(service.authenticate('Bearer wpr_unknown'))).toMatchObject({ status: 401 });
    });

    it('a revoked token no longer authenticates', async () => {
      const { service } = newTestService();
      const { token, secret } = await service.issue(admin, request());
      await service.revoke(admin, token.id);
      expect(await refusal(service.authenticate(`Bearer ${secret}`))).toMatchObject({ status: 401 });
    });

    it('an expiry must be in the future, and an expired token no longer authenticates', async () => {
      const { service } = newTestService();
      const now = new Date('2027-01-01T00:00:00Z');
      expect(await refusal(service.issue(admin, request({ expiresAt: now }), now))).toMatchObject({ status: 400, code: 'invalid_input' });
      const expiresAt = new Date('2027-01-02T00:00:00Z');
      const { secret } = await service.issue(admin, request({ expiresAt }), now);
      expect(await service.authenticate(`Bearer ${secret}`, new Date(expiresAt.getTime() - 1))).not.toBeNull();
      expect(await refusal(service.authenticate(`Bearer ${secret}`, expiresAt))).toMatchObject({ status: 401 });
    });

    it('REGISTRY_ADMIN_TOKEN authenticates as an admin without a row', async () => {
      const { service } = newTestService();
      expect(await service.authenticate(`Bearer ${ADMIN_SECRET}`)).toMatchObject({ admin: true, tokenName: 'REGISTRY_ADMIN_TOKEN' });
    });

    it('records a token\'s use at most once a minute, not once per request', async () => {
      const { service, store } = newTestService();
      const { secret } = await service.issue(admin, request());
      const start = new Date('2027-01-01T00:00:00Z');
      await service.authenticate(`Bearer ${secret}`, start);
      await service.authenticate(`Bearer ${secret}`, new Date(start.getTime() + 30_000));
      await service.authenticate(`Bearer ${secret}`, new Date(start.getTime() + 61_000));
      expect(store.touched.map((t) => t.at.getTime() - start.getTime())).toEqual([0, 61_000]);
    });
  });

  describe('the first admin token', () => {
    it('without REGISTRY_ADMIN_TOKEN, the first start makes an admin token and hands its secret out once', async () => {
      const { service, store } = newTestService({});
      const secret = await service.ensureAdminToken();
      expect(secret).not.toBeNull();
      expect(await service.authenticate(`Bearer ${secret}`)).toMatchObject({ admin: true });
      // The next start finds it and prints nothing.
      expect(await service.ensureAdminToken()).toBeNull();
      expect(store.rows.size).toBe(1);
    });

    it('with REGISTRY_ADMIN_TOKEN set, no token is generated', async () => {
      const { service, store } = newTestService();
      expect(await service.ensureAdminToken()).toBeNull();
      expect(store.rows.size).toBe(0);
    });
  });

  describe('scoped tokens for /v2 (the Docker token protocol)', () => {
    const access = [{ type: 'repository' as const, name: 'acme/jwt-auth', actions: ['pull' as const, 'push' as const] }];

    it('grants what it was issued with, to the API token it was issued for', async () => {
      const { service } = newTestService();
      const { token: stored, secret } = await service.issue(admin, request());
      const principal = (await service.authenticate(`Bearer ${secret}`))!;
      const scoped = await service.issueScopedToken(principal, access, '127.0.0.1:8080');
      expect(scoped.expiresInSeconds).toBe(300);
      const checked = await service.authenticateScoped(scoped.token);
      expect(checked.access).toEqual(access);
      expect(checked.principal).toMatchObject({ tokenId: stored.id, namespaces: new Set(['acme']) });
    });

    it('dies with its API token: revoked, the scoped token is refused at once', async () => {
      const { service } = newTestService();
      const { token: stored, secret } = await service.issue(admin, request());
      const scoped = await service.issueScopedToken((await service.authenticate(`Bearer ${secret}`))!, access, 'registry');
      await service.revoke(admin, stored.id);
      expect(await refusal(service.authenticateScoped(scoped.token))).toMatchObject({ status: 401 });
    });

    it('refuses a token whose claims were changed, one signed for another API token, and one past its time', async () => {
      const { service } = newTestService();
      const ci = (await service.authenticate(`Bearer ${(await service.issue(admin, request())).secret}`))!;
      const other = (await service.authenticate(`Bearer ${(await service.issue(admin, request({ name: 'other' }))).secret}`))!;
      const scoped = await service.issueScopedToken(ci, [{ type: 'repository', name: 'acme/a', actions: ['pull'] }], 'registry');
      const [header, , signature] = scoped.token.split('.');
      const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(scoped.token.split('.')[1]!, 'base64url').toString()), access })).toString('base64url');
      expect(await refusal(service.authenticateScoped(`${header}.${widened}.${signature}`))).toMatchObject({ status: 401 });
      // The other token's subject with this token's signature: the key is the other token's.
      const claims = JSON.parse(Buffer.from(scoped.token.split('.')[1]!, 'base64url').toString());
      const resubjected = Buffer.from(JSON.stringify({ ...claims, sub: other.tokenId })).toString('base64url');
      expect(await refusal(service.authenticateScoped(`${header}.${resubjected}.${signature}`))).toMatchObject({ status: 401 });
      const later = new Date(scoped.issuedAt.getTime() + 301_000);
      expect(await refusal(service.authenticateScoped(scoped.token, later))).toMatchObject({ status: 401 });
      expect((await service.authenticateScoped(scoped.token, new Date(scoped.issuedAt.getTime() + 299_000))).access).toHaveLength(1);
    });

    it('gives anonymous callers a token that names no one', async () => {
      const { service } = newTestService();
      const pull = [{ type: 'repository' as const, name: 'acme/a', actions: ['pull' as const] }];
      const scoped = await service.issueScopedToken(null, pull, 'registry');
      expect(await service.authenticateScoped(scoped.token)).toEqual({ principal: null, access: pull });
      expect(await refusal(service.authenticateScoped('not-a-jwt'))).toMatchObject({ status: 401 });
    });

    it('works for the environment admin token, whose key comes from REGISTRY_ADMIN_TOKEN', async () => {
      const { service } = newTestService();
      const scoped = await service.issueScopedToken(admin, access, 'registry');
      expect((await service.authenticateScoped(scoped.token)).principal).toMatchObject({ admin: true, tokenId: 'env:REGISTRY_ADMIN_TOKEN' });
      const { service: restarted } = newTestService({ REGISTRY_ADMIN_TOKEN: 'wpr_another-secret' });
      expect(await refusal(restarted.authenticateScoped(scoped.token))).toMatchObject({ status: 401 });
    });
  });
});
