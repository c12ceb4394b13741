import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { RegistryError } from '../../domain/index.js';
import { assertRepositoryName, ociError, type OciRepositoryName } from '../../oci/index.js';
import { PublishService } from '../../plugins/index.js';
import { TokensService, type RepositoryAccess, type ScopedToken } from '../../tokens/index.js';

/** Who is calling /v2, and what their credential allows (`any`: an API token itself, limited by its namespaces). */
interface Caller {
  principal: Principal | null;
  access: RepositoryAccess[] | 'any';
}

const MAX_SCOPES = 20;
/** A token from /v2/token (a JWT: three base64url parts); anything else after Bearer is an API token. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SCOPE = /^repository:([a-z0-9][a-z0-9-]{0,63})\/([a-z0-9][a-z0-9-]{0,63}):([a-z,*]+)$/;

/**
 * Authentication on /v2 as OCI clients expect it (the Docker token protocol):
 * a 401 names the token endpoint and the scope needed, /v2/token turns Basic
 * credentials (any user name, an API token as the password) into a short-lived
 * token scoped to what was asked and is allowed, and Basic or the API token
 * itself are accepted directly too. Pushing follows the rules of publishing
 * over HTTP: a token pushes only into its namespaces; pulls need nothing.
 */
@Injectable()
export class OciAccessService {
  constructor(
    private readonly tokens: TokensService,
    private readonly publishing: PublishService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** The `service` of challenges and tokens: the registry's host, as clients name it. */
  get service(): string {
    return new URL(this.config.publicUrl).host;
  }

  /** `WWW-Authenticate` of a 401: where to get a token, and for which scope. */
  challenge(repository?: OciRepositoryName, actions: string = 'pull,push'): string {
    const scope = repository === undefined ? '' : `,scope="repository:${repository.namespace}/${repository.plugin}:${actions}"`;
    return `Bearer realm="${this.config.publicUrl}/v2/token",service="${this.service}"${scope}`;
  }

  /** For the version check (`GET /v2/`): true with a valid credential (anonymous tokens count), 401 otherwise. */
  async checkCredential(authorization: string | undefined): Promise<void> {
    const caller = await this.caller(authorization, undefined);
    if (caller === null) throw this.unauthorized('this registry wants a token: get one at the realm (anonymous ones pull)');
  }

  /**
   * The principal that may push into `repository`: a 401 with a challenge when
   * the credential is missing, bad or lacks the push scope; a 403 DENIED when the
   * token may not publish into the namespace.
   */
  async pusher(authorization: string | undefined, repository: OciRepositoryName): Promise<Principal> {
    assertRepositoryName(repository);
    const caller = await this.caller(authorization, repository);
    if (caller === null || caller.principal === null) {
      throw this.unauthorized(`pushing into ${repository.namespace}/${repository.plugin} needs a registry token (Basic with the token as password, or a token from the realm)`, repository);
    }
    const name = `${repository.namespace}/${repository.plugin}`;
    if (caller.access !== 'any' && !caller.access.some((a) => a.name === name && a.actions.includes('push'))) {
      // Clients answer this by asking the realm for a token with the scope named in the challenge.
      throw this.unauthorized(`the token does not grant push on ${name}: ask the realm for scope repository:${name}:pull,push`, repository);
    }
    try {
      await this.publishing.checkMayPublish(caller.principal, repository.namespace);
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) throw ociError(404, 'NAME_UNKNOWN', error.detail);
      if (error instanceof RegistryError && error.status === 403) throw ociError(403, 'DENIED', error.detail);
      throw error;
    }
    return caller.principal;
  }

  /**
   * The token endpoint: the scopes asked for (`repository:<ns>/<plugin>:pull,push`), cut down to what the
   * credential allows (pull always; push into the token's namespaces). Unknown scopes are left out.
   */
  async issueToken(authorization: string | undefined, scopes: readonly string[]): Promise<ScopedToken> {
    const principal = await this.principalFromCredential(authorization);
    const access: RepositoryAccess[] = [];
    for (const scope of scopes.flatMap((s) => s.split(' ')).filter((s) => s !== '').slice(0, MAX_SCOPES)) {
      const match = SCOPE.exec(scope);
      if (match === null) continue;
      const [, namespace, plugin, asked] = match as unknown as [string, string, string, string];
      const actions = new Set(asked.split(',').flatMap((a) => (a === '*' ? ['pull', 'push'] : [a])));
      const granted: RepositoryAccess['actions'] = [];
      if (actions.has('pull')) granted.push('pull');
      if (actions.has('push') && principal !== null && (await this.mayPush(principal, namespace))) granted.push('push');
      if (granted.length > 0) access.push({ type: 'repository', name: `${namespace}/${plugin}`, actions: granted });
    }
    return this.tokens.issueScopedToken(principal, access, this.service);
  }

  private async mayPush(principal: Principal, namespace: string): Promise<boolean> {
    try {
      await this.publishing.checkMayPublish(principal, namespace);
      return true;
    } catch (error) {
      if (error instanceof RegistryError && error.status < 500) return false;
      throw error;
    }
  }

  /** Null when there is no credential; a 401 when there is a bad one. */
  private async caller(authorization: string | undefined, repository: OciRepositoryName | undefined): Promise<Caller | null> {
    if (authorization === undefined || authorization.trim() === '') return null;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer !== null && JWT.test(bearer[1]!)) {
      const scoped = await this.guard(() => this.tokens.authenticateScoped(bearer[1]!), repository);
      return { principal: scoped.principal, access: scoped.access };
    }
    const principal = await this.principalFromCredential(authorization, repository);
    return principal === null ? null : { principal, access: 'any' };
  }

  /** An API token from `Basic <user:token>` or `Bearer <token>`; null when there is no credential. */
  private async principalFromCredential(authorization: string | undefined, repository?: OciRepositoryName): Promise<Principal | null> {
    if (authorization === undefined || authorization.trim() === '') return null;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    let bearer = authorization;
    if (basic !== null) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      if (password === '') throw this.unauthorized('Basic credentials need a registry token (wpr_…) as the password; any user name', repository);
      bearer = `Bearer ${password}`;
    } else if (!/^Bearer\s+\S+\s*$/i.test(authorization)) {
      throw this.unauthorized('the Authorization header must be Basic (a registry token as the password) or Bearer (a registry token, or a token from the realm)', repository);
    }
    return this.guard(() => this.tokens.authenticate(bearer), repository);
  }

  /** Turns the token store's 401 into /v2's, with the challenge clients need. */
  private async guard<T>(work: () => Promise<T>, repository: OciRepositoryName | undefined): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RegistryError && error.status === 401) throw this.unauthorized(error.detail, repository);
      throw error;
    }
  }

  private unauthorized(detail: string, repository?: OciRepositoryName): RegistryError {
    return ociError(401, 'UNAUTHORIZED', detail, { wwwAuthenticate: this.challenge(repository) });
  }
}
