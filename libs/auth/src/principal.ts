import { forbidden } from '../../domain/index.js';

/** Who is calling: the holder of a valid API token. Anonymous callers have no principal. */
export interface Principal {
  tokenId: string;
  tokenName: string;
  admin: boolean;
  /** Namespaces this token may publish into; admins may publish anywhere. */
  namespaces: ReadonlySet<string>;
}

export function mayPublishTo(principal: Principal, namespace: string): boolean {
  return principal.admin || principal.namespaces.has(namespace);
}

/**
 * Refuses a principal that is not an admin. The guard's @AdminOnly() refuses
 * them first; services say it again so that the rule holds whoever calls them.
 */
export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw forbidden('this operation needs an admin token');
}

/** The principal as the audit log names it. */
export function actorOf(principal: Principal): { name: string; tokenId: string | null } {
  // The environment's admin token has no row, hence no id.
  const stored = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(principal.tokenId);
  return { name: principal.tokenName, tokenId: stored ? principal.tokenId : null };
}
