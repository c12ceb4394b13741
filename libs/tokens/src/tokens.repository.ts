import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../../db/index.js';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';

export interface StoredToken {
  id: string;
  name: string;
  tokenPrefix: string;
  admin: boolean;
  namespaces: string[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewToken {
  name: string;
  tokenHash: string;
  tokenPrefix: string;
  admin: boolean;
  namespaces: string[];
  expiresAt: Date | null;
}

const withNamespaces = { namespaces: { include: { namespace: { select: { name: true } } } } } as const;

type TokenRow = Omit<StoredToken, 'namespaces'> & { namespaces: { namespace: { name: string } }[] };

const toStoredToken = ({ namespaces, ...row }: TokenRow & { tokenHash?: string }): StoredToken => {
  const { tokenHash: _hidden, ...rest } = row;
  return { ...rest, namespaces: namespaces.map((n) => n.namespace.name).sort() };
};

@Injectable()
export class TokensRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** The names among `names` that are not namespaces. */
  async missingNamespaces(names: readonly string[]): Promise<string[]> {
    const found = await this.database.prisma.namespace.findMany({ where: { name: { in: [...names] } }, select: { name: true } });
    const existing = new Set(found.map((n) => n.name));
    return names.filter((name) => !existing.has(name));
  }

  async findByHash(tokenHash: string): Promise<StoredToken | null> {
    const row = await this.database.prisma.apiToken.findUnique({ where: { tokenHash }, include: withNamespaces });
    return row === null ? null : toStoredToken(row);
  }

  async findById(id: string): Promise<{ token: StoredToken; tokenHash: string } | null> {
    const row = await this.database.prisma.apiToken.findUnique({ where: { id }, include: withNamespaces });
    return row === null ? null : { token: toStoredToken(row), tokenHash: row.tokenHash };
  }

  /** Stores the token with its audit event, in one transaction. */
  async create(token: NewToken, actor: AuditActor): Promise<StoredToken> {
    return this.database.prisma.$transaction(async (tx) => {
      const row = await tx.apiToken.create({
      data: {
        name: token.name,
        tokenHash: token.tokenHash,
        tokenPrefix: token.tokenPrefix,
        admin: token.admin,
        expiresAt: token.expiresAt,
          namespaces: { create: token.namespaces.map((name) => ({ namespace: { connect: { name } } })) },
        },
        include: withNamespaces,
      });
      await writeAuditEvent(tx, { action: 'token.issued', actor, details: tokenDetails(row.id, token) });
      return toStoredToken(row);
    });
  }

  async list(): Promise<StoredToken[]> {
    const rows = await this.database.prisma.apiToken.findMany({ include: withNamespaces, orderBy: { createdAt: 'asc' } });
    return rows.map(toStoredToken);
  }

  /** Marks the token revoked; revoking twice keeps the first time. Null when no such token exists. */
  async revoke(id: string, at: Date, actor: AuditActor): Promise<StoredToken | null> {
    return this.database.prisma.$transaction(async (tx) => {
      const row = await tx.apiToken.findUnique({ where: { id }, include: withNamespaces });
      if (row === null || row.revokedAt !== null) return row === null ? null : toStoredToken(row);
      const updated = await tx.apiToken.update({ where: { id }, data: { revokedAt: at }, include: withNamespaces });
      await writeAuditEvent(tx, { action: 'token.revoked', actor, details: { tokenId: id, name: row.name } });
      return toStoredToken(updated);
    });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.database.prisma.apiToken.update({ where: { id }, data: { lastUsedAt: at } });
  }

  /**
   * Creates the first admin token unless an admin token already exists. Runs
   * under an advisory lock so that two processes starting at once make one.
   */
  async createFirstAdminToken(token: NewToken): Promise<boolean> {
    return this.database.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('wasm-registry:first-admin-token', 0))`;
      const existing = await tx.apiToken.count({ where: { admin: true, revokedAt: null } });
      if (existing > 0) return false;
      const row = await tx.apiToken.create({
        data: { name: token.name, tokenHash: token.tokenHash, tokenPrefix: token.tokenPrefix, admin: true },
      });
      await writeAuditEvent(tx, { action: 'token.issued', actor: { name: 'registry', tokenId: null }, details: tokenDetails(row.id, token) });
      return true;
    });
  }
}

/** What the audit log keeps of a token: never its secret or hash. */
function tokenDetails(id: string, token: NewToken): Record<string, unknown> {
  return { tokenId: id, name: token.name, prefix: token.tokenPrefix, admin: token.admin, namespaces: token.namespaces, expiresAt: token.expiresAt?.toISOString() ?? null };
}
