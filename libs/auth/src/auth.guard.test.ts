import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { AdminOnly, Authenticated, BearerAuthGuard, TokenAuthenticator } from './auth.guard.js';
import { actorOf, mayPublishTo, type Principal } from './principal.js';

const admin: Principal = { tokenId: 'env-admin', tokenName: 'admin', admin: true, namespaces: new Set() };
const acme: Principal = { tokenId: '0b5c7a7e-1c1f-4c2e-9a55-3d1c2b4a5e6f', tokenName: 'acme CI', admin: false, namespaces: new Set(['acme']) };

/** Answers by the header it is given: `Bearer admin`, `Bearer acme`, or no header at all. */
class FakeTokens extends TokenAuthenticator {
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    if (authorization === undefined) return null;
    if (authorization === 'Bearer admin') return admin;
    if (authorization === 'Bearer acme') return acme;
    throw new RegistryError(401, 'unauthenticated', 'Unauthenticated', 'unknown token');
  }
}

class Routes {
  publish(): void {}
  audit(): void {}
}
// The decorators as Nest applies them (the test transform does not compile decorator syntax).
for (const [handler, decorate] of [['publish', Authenticated()], ['audit', AdminOnly()]] as const) {
  decorate(Routes.prototype, handler, Object.getOwnPropertyDescriptor(Routes.prototype, handler)!);
}

function context(handler: keyof Routes, authorization?: string): { context: ExecutionContext; request: FastifyRequest } {
  const request = { headers: authorization === undefined ? {} : { authorization } } as FastifyRequest;
  const context = {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
  } as unknown as ExecutionContext;
  return { context, request };
}

const guard = new BearerAuthGuard(new FakeTokens(), new Reflector());
const refusal = (work: Promise<unknown>) => work.then(() => null, (error: unknown) => error as RegistryError);

describe('BearerAuthGuard', () => {
  it('refuses a request without a token (401) and says what header it needs', async () => {
    const error = await refusal(guard.canActivate(context('publish').context));
    expect(error).toMatchObject({ status: 401 });
    expect(error?.detail).toContain('Authorization: Bearer');
  });

  it('passes on the token store refusing a bad token', async () => {
    expect(await refusal(guard.canActivate(context('publish', 'Bearer nope').context))).toMatchObject({ status: 401 });
  });

  it('attaches the principal to the request for @CurrentPrincipal()', async () => {
    const { context: ctx, request } = context('publish', 'Bearer acme');
    expect(await guard.canActivate(ctx)).toBe(true);
    expect(request.principal).toBe(acme);
  });

  it('refuses a token that is not an admin on an admin-only route (403), and lets an admin through', async () => {
    const { context: ctx, request } = context('audit', 'Bearer acme');
    expect(await refusal(guard.canActivate(ctx))).toMatchObject({ status: 403 });
    expect(request.principal).toBeUndefined();
    expect(await guard.canActivate(context('audit', 'Bearer admin').context)).toBe(true);
  });
});

describe('principal rules', () => {
  it('lets a token publish only into its namespaces, and an admin anywhere', () => {
    expect(mayPublishTo(acme, 'acme')).toBe(true);
    expect(mayPublishTo(acme, 'globex')).toBe(false);
    expect(mayPublishTo(admin, 'globex')).toBe(true);
  });

  it('names a stored token by its id in the audit log, and the environment admin token without one', () => {
    expect(actorOf(acme)).toEqual({ name: 'acme CI', tokenId: acme.tokenId });
    expect(actorOf(admin)).toEqual({ name: 'admin', tokenId: null });
  });
});
