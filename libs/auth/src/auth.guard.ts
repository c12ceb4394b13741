import {
  applyDecorators,
  createParamDecorator,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../../domain/index.js';
import { requireAdmin, type Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const ADMIN_ONLY = 'registry:admin-only';

/**
 * What the guard needs from the token store; libs/tokens provides it (the app binds it to TokensService).
 * The guard cannot import libs/tokens: tokens write audit events, and the audit API is guarded.
 */
export abstract class TokenAuthenticator {
  /** The principal behind an Authorization header; null when there is none. Bad or dead tokens throw a 401. */
  abstract authenticate(authorization: string | undefined): Promise<Principal | null>;
}

/** Requires a valid bearer token; namespace rights are checked by the services that know the namespace. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenAuthenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.tokens.authenticate(request.headers.authorization);
    if (principal === null) {
      throw unauthenticated('this operation needs "Authorization: Bearer <token>"');
    }
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (adminOnly) requireAdmin(principal);
    request.principal = principal;
    return true;
  }
}

export const Authenticated = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(BearerAuthGuard), ApiBearerAuth());

export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ADMIN_ONLY, true), UseGuards(BearerAuthGuard), ApiBearerAuth());

/** The principal that BearerAuthGuard attached to the request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (principal === undefined) throw new Error('CurrentPrincipal used on a route without @Authenticated()');
  return principal;
});
