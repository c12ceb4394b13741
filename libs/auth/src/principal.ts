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
