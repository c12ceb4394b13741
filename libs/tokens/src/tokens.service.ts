import { Inject, Injectable, Logger } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { assertNames, invalidInput, notFound, RegistryError, unauthenticated, type FieldProblem } from '../../domain/index.js';
import type { AuditActor } from '../../audit/index.js';
import { actorOf, requireAdmin, TokenAuthenticator, type Principal } from '../../auth/index.js';
import { generateTokenSecret, hashTokenSecret, sameHash, visiblePrefix } from './token-secret.js';
import { TokensRepository, type NewToken, type StoredToken } from './tokens.repository.js';
import { claimedSubject, scopedTokenKey, signScopedToken, verifiedAccess, type RepositoryAccess, type ScopedToken } from './scoped-token.js';

/** What the service needs of the tokens' rows (TokensRepository). Only hashes are stored, never a secret. */
export interface TokenStore {
  /** The names among `names` that are not namespaces. */
  missingNamespaces(names: readonly string[]): Promise<string[]>;
  findByHash(tokenHash: string): Promise<StoredToken | null>;
  /** A token with its stored hash (the key of its scoped /v2 tokens derives from it). */
  findById(id: string): Promise<{ token: StoredToken; tokenHash: string } | null>;
  /** Stores the token with its audit event. */
  create(token: NewToken, actor: AuditActor): Promise<StoredToken>;
  list(): Promise<StoredToken[]>;
  /** Revoking twice keeps the first time. Null when no such token exists. */
  revoke(id: string, at: Date, actor: AuditActor): Promise<StoredToken | null>;
  touch(id: string, at: Date): Promise<void>;
  /** False when an unrevoked admin token exists already (then nothing is created). */
  createFirstAdminToken(token: NewToken): Promise<boolean>;
}

export interface TokenRequest {
  name: string;
  namespaces: string[];
  admin: boolean;
  expiresAt: Date | null;
}

const LAST_USED_RESOLUTION_MS = 60_000;
const ENV_ADMIN_TOKEN_ID = 'env:REGISTRY_ADMIN_TOKEN';
const ENV_ADMIN_PRINCIPAL: Principal = { tokenId: ENV_ADMIN_TOKEN_ID, tokenName: 'REGISTRY_ADMIN_TOKEN', admin: true, namespaces: new Set() };
const principalOf = (token: StoredToken): Principal => ({ tokenId: token.id, tokenName: token.name, admin: token.admin, namespaces: new Set(token.namespaces) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

@Injectable()
export class TokensService implements TokenAuthenticator {
  private readonly logger = new Logger('Tokens');
  private readonly adminTokenHash: string | null;

  constructor(
    @Inject(TokensRepository) private readonly tokens: TokenStore,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    this.adminTokenHash = config.adminToken === null ? null : hashTokenSecret(config.adminToken);
  }

  /**
   * Makes sure someone can administer the registry: with REGISTRY_ADMIN_TOKEN
   * set there is nothing to do; otherwise the first start generates an admin
   * token and prints it once. Returns the secret when one was generated.
   */
  async ensureAdminToken(): Promise<string | null> {
    if (this.adminTokenHash !== null) return null;
    const secret = generateTokenSecret();
    const created = await this.tokens.createFirstAdminToken({
      name: 'first admin token',
      tokenHash: hashTokenSecret(secret),
      tokenPrefix: visiblePrefix(secret),
      admin: true,
      namespaces: [],
      expiresAt: null,
    });
    return created ? secret : null;
  }

  /** Resolves an Authorization header; null when there is none. Bad or dead tokens are a 401. */
  async authenticate(authorization: string | undefined, now = new Date()): Promise<Principal | null> {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    const tokenHash = hashTokenSecret(match[1]!);
    if (this.adminTokenHash !== null && sameHash(tokenHash, this.adminTokenHash)) {
      return ENV_ADMIN_PRINCIPAL;
    }
    const token = await this.tokens.findByHash(tokenHash);
    if (token === null) throw unauthenticated('the bearer token is not known to this registry');
    if (token.revokedAt !== null) throw unauthenticated('the bearer token was revoked');
    if (token.expiresAt !== null && token.expiresAt <= now) throw unauthenticated('the bearer token has expired');
    if (token.lastUsedAt === null || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Recorded at minute resolution so that authentication is not a write per request.
      this.tokens.touch(token.id, now).catch((error: unknown) => this.logger.warn(`could not record token use: ${String(error)}`));
    }
    return principalOf(token);
  }

  /**
   * A short-lived token for the OCI endpoint (/v2/token) granting `access`,
   * which the caller has already cut down to what `principal` may do. Anonymous
   * callers (null) get one too: clients ask for it before they pull.
   */
  async issueScopedToken(principal: Principal | null, access: RepositoryAccess[], service: string, now = new Date()): Promise<ScopedToken> {
    if (principal === null) return signScopedToken(null, null, access, service, now);
    const hash = principal.tokenId === ENV_ADMIN_TOKEN_ID ? this.adminTokenHash : (await this.tokens.findById(principal.tokenId))?.tokenHash;
    if (hash === null || hash === undefined) throw unauthenticated('the API token is no longer known to this registry');
    return signScopedToken(principal.tokenId, scopedTokenKey(hash), access, service, now);
  }

  /**
   * Checks a scoped token: its signature, its time, and that the API token it was issued for is still
   * valid (a revoked token's scoped tokens stop working at once). A 401 when any of that fails.
   */
  async authenticateScoped(token: string, now = new Date()): Promise<{ principal: Principal | null; access: RepositoryAccess[] }> {
    const subject = claimedSubject(token);
    if (subject === undefined) throw unauthenticated('the bearer token is neither an API token nor a token from /v2/token');
    let principal: Principal | null = null;
    let key: Uint8Array | null = null;
    if (subject === ENV_ADMIN_TOKEN_ID && this.adminTokenHash !== null) {
      principal = ENV_ADMIN_PRINCIPAL;
      key = scopedTokenKey(this.adminTokenHash);
    } else if (subject !== null) {
      const found = UUID.test(subject) ? await this.tokens.findById(subject) : null;
      if (found === null) throw unauthenticated('the token from /v2/token was issued for an API token this registry no longer knows');
      if (found.token.revokedAt !== null) throw unauthenticated('the API token behind this token was revoked');
      if (found.token.expiresAt !== null && found.token.expiresAt <= now) throw unauthenticated('the API token behind this token has expired');
      principal = principalOf(found.token);
      key = scopedTokenKey(found.tokenHash);
    }
    const access = await verifiedAccess(token, key, now);
    if (access === null) throw unauthenticated('the token from /v2/token is invalid or has expired: ask /v2/token for a new one');
    return { principal, access };
  }

  /** The secret is returned here, once: only its hash is stored. */
  async issue(issuer: Principal, request: TokenRequest, now = new Date()): Promise<{ token: StoredToken; secret: string }> {
    requireAdmin(issuer);
    const problems: FieldProblem[] = [];
    if (!request.admin && request.namespaces.length === 0) {
      problems.push({ field: 'body.namespaces', message: 'a token that is not admin needs at least one namespace' });
    }
    if (request.expiresAt !== null && request.expiresAt <= now) {
      problems.push({ field: 'body.expiresAt', message: 'must be in the future' });
    }
    if (problems.length > 0) throw invalidInput(problems);
    assertNames(Object.fromEntries(request.namespaces.map((name, i) => [`body.namespaces[${i}]`, name])));
    const missing = await this.tokens.missingNamespaces(request.namespaces);
    if (missing.length > 0) {
      throw new RegistryError(
        404,
        'namespace_not_found',
        'Namespace not found',
        `no namespace named ${missing.map((m) => JSON.stringify(m)).join(', ')}; create it first with PUT /api/v1/namespaces/{namespace}`,
        { missing },
      );
    }
    const secret = generateTokenSecret();
    const token = await this.tokens.create({
      name: request.name,
      tokenHash: hashTokenSecret(secret),
      tokenPrefix: visiblePrefix(secret),
      admin: request.admin,
      namespaces: [...new Set(request.namespaces)],
      expiresAt: request.expiresAt,
    }, actorOf(issuer));
    return { token, secret };
  }

  async list(reader: Principal): Promise<StoredToken[]> {
    requireAdmin(reader);
    return this.tokens.list();
  }

  async revoke(revoker: Principal, id: string, now = new Date()): Promise<StoredToken> {
    requireAdmin(revoker);
    const token = UUID.test(id) ? await this.tokens.revoke(id, now, actorOf(revoker)) : null;
    if (token === null) throw notFound('token_not_found', `no token with id ${JSON.stringify(id)}`);
    return token;
  }
}
