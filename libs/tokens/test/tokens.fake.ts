import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../../audit/index.js';
import type { NewToken, StoredToken } from '../src/tokens.repository.js';
import type { TokenStore } from '../src/tokens.service.js';

/** Token rows in memory, keyed by hash as the table is; records what it was asked to write. */
export class FakeTokenStore implements TokenStore {
  namespaces = new Set<string>(['acme']);
  readonly rows = new Map<string, StoredToken & { tokenHash: string }>();
  readonly audited: { action: string; actor: AuditActor; id: string }[] = [];
  readonly touched: { id: string; at: Date }[] = [];

  async missingNamespaces(names: readonly string[]): Promise<string[]> {
    return names.filter((name) => !this.namespaces.has(name));
  }

  async findByHash(tokenHash: string): Promise<StoredToken | null> {
    const row = this.rows.get(tokenHash);
    return row === undefined ? null : withoutHash(row);
  }

  async findById(id: string): Promise<{ token: StoredToken; tokenHash: string } | null> {
    const row = [...this.rows.values()].find((r) => r.id === id);
    return row === undefined ? null : { token: withoutHash(row), tokenHash: row.tokenHash };
  }

  async create(token: NewToken, actor: AuditActor): Promise<StoredToken> {
    const row = { ...token, id: randomUUID(), createdAt: new Date(), revokedAt: null, lastUsedAt: null };
    this.rows.set(token.tokenHash, row);
    this.audited.push({ action: 'token.issued', actor, id: row.id });
    return withoutHash(row);
  }

  async list(): Promise<StoredToken[]> {
    return [...this.rows.values()].map(withoutHash);
  }

  async revoke(id: string, at: Date, actor: AuditActor): Promise<StoredToken | null> {
    const row = [...this.rows.values()].find((r) => r.id === id);
    if (row === undefined) return null;
    if (row.revokedAt === null) {
      row.revokedAt = at;
      this.audited.push({ action: 'token.revoked', actor, id });
    }
    return withoutHash(row);
  }

  async touch(id: string, at: Date): Promise<void> {
    this.touched.push({ id, at });
    const row = [...this.rows.values()].find((r) => r.id === id);
    if (row !== undefined) row.lastUsedAt = at;
  }

  async createFirstAdminToken(token: NewToken): Promise<boolean> {
    if ([...this.rows.values()].some((r) => r.admin && r.revokedAt === null)) return false;
    await this.create(token, { name: 'registry', tokenId: null });
    return true;
  }
}

function withoutHash({ tokenHash: _hidden, ...token }: StoredToken & { tokenHash: string }): StoredToken {
  return { ...token, namespaces: [...token.namespaces] };
}
